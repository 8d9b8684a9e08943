import { parseCardText, type CardTextResult } from "./card-text-parser.js";
import { decodeStream, type FrameError } from "./frame-decoder.js";
import { decodeRequestBody, looksLikeRequest, type CommandKind, type ReaderCommand } from "./reader-commands.js";
import { decodeResponseBody, type ReaderResponse } from "./reader-responses.js";

/**
 * A captured byte stream (either direction of the link, or both interleaved) decoded for support:
 * every request, every response (paired with the request before it when there is one, recognised
 * by shape otherwise), every decoding error, and the card's fields where a reply carries them.
 */
export type CaptureItem =
  | { readonly kind: "request"; readonly offset: number; readonly command: ReaderCommand }
  | { readonly kind: "response"; readonly offset: number; readonly answers: CommandKind | null; readonly response: ReaderResponse; readonly card?: CardTextResult }
  | { readonly kind: "error"; readonly offset: number; readonly code: FrameError["code"] | "bad_request" | "bad_response"; readonly message: string; readonly bytes: number };

export type HexParseResult = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly message: string };

/** Hex text as captured by sniffers: whitespace anywhere, optional `0x` prefixes, `:` or `,` separators. */
export function parseHexCapture(text: string): HexParseResult {
  const clean = text.replace(/0x/giu, "").replace(/[\s,:]+/gu, "");
  const bad = /[^0-9a-fA-F]/u.exec(clean);
  if (bad !== null) return { ok: false, message: `not a hex digit: ${JSON.stringify(bad[0])}` };
  if (clean.length % 2 !== 0) return { ok: false, message: `odd number of hex digits (${clean.length})` };
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return { ok: true, bytes };
}

export function decodeCapture(bytes: Uint8Array): CaptureItem[] {
  const items: CaptureItem[] = [];
  let lastRequest: CommandKind | null = null;
  for (const item of decodeStream(bytes)) {
    if (item.kind === "error") {
      items.push({ kind: "error", offset: item.error.offset, code: item.error.code, message: item.error.message, bytes: item.error.bytes });
      continue;
    }
    const { body, offset } = item.frame;
    if (looksLikeRequest(body)) {
      const request = decodeRequestBody(body);
      if (request.ok) {
        items.push({ kind: "request", offset, command: request.command });
        lastRequest = request.command.kind;
      }
      continue;
    }
    let decoded = decodeResponseBody(body, lastRequest ?? undefined);
    // The reply may not belong to the last request seen (a capture that starts mid-exchange): try by shape.
    if (!decoded.ok && lastRequest !== null) decoded = decodeResponseBody(body);
    if (!decoded.ok) {
      items.push({ kind: "error", offset, code: "bad_response", message: decoded.message, bytes: item.frame.frameBytes });
      continue;
    }
    const payload = decoded.response.payload;
    const card = payload.kind === "base_message" ? parseCardText(payload.text) : undefined;
    items.push(card === undefined ? { kind: "response", offset, answers: lastRequest, response: decoded.response } : { kind: "response", offset, answers: lastRequest, response: decoded.response, card });
    lastRequest = null;
  }
  return items;
}
