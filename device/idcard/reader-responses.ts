import { encodeResponseFrame } from "./frame-encoder.js";
import type { CommandKind } from "./reader-commands.js";
import { parseSamId, SAM_ID_BYTES, type SamId } from "./sam-id.js";
import { samStatus, type SamStatus } from "./sam-status.js";

/** Bytes the reader returns for `read base message` (idcard-protocol.md, "Read-base-message reply payload", [2]). */
export const TEXT_BLOCK_BYTES = 256;
export const PHOTO_BYTES = 1024;
/** Fingerprint: 0, 1 or 2 records of 512 bytes. */
export const FINGERPRINT_RECORD_BYTES = 512;
/** The newest-address reply: 70 bytes of UCS-2LE ([1]); any even length is accepted. */
export const NEWEST_ADDRESS_BYTES = 70;

export type ResponsePayload =
  | { readonly kind: "status_only" }
  | { readonly kind: "sam_id"; readonly samId: SamId }
  | { readonly kind: "card_found"; readonly iin: Uint8Array }
  | { readonly kind: "card_selected"; readonly serial: Uint8Array }
  | { readonly kind: "base_message"; readonly text: Uint8Array; readonly photo: Uint8Array; readonly fingerprint: Uint8Array | null }
  | { readonly kind: "newest_address"; readonly address: string }
  /** A success reply whose data matches no known shape (kept for support cases). */
  | { readonly kind: "opaque"; readonly data: Uint8Array };

export interface ReaderResponse {
  /** The card's own status, normally 00 00; non-zero with SW3 31/41/47/81 ([1]). Kept, never judged. */
  readonly sw1: number;
  readonly sw2: number;
  readonly status: SamStatus;
  readonly payload: ResponsePayload;
}

export type ResponseDecodeResult = { readonly ok: true; readonly response: ReaderResponse } | { readonly ok: false; readonly message: string };

/**
 * Interpret a response body (SW1 SW2 SW3 DATA). `command` is the request it answers; without it
 * (a one-direction capture) the payload is recognised by its shape. The success status decides
 * whether data is expected: a failure carries none that we read.
 */
export function decodeResponseBody(body: Uint8Array, command?: CommandKind): ResponseDecodeResult {
  const [sw1, sw2, sw3] = body;
  if (sw1 === undefined || sw2 === undefined || sw3 === undefined) return { ok: false, message: `response body of ${body.length} byte(s) has no SW1 SW2 SW3` };
  const status = samStatus(sw3);
  const data = body.subarray(3);
  if (status.code !== "success" && status.code !== "card_found") return { ok: true, response: { sw1, sw2, status, payload: { kind: "status_only" } } };
  const payload = command === undefined ? inferPayload(data, status) : payloadFor(command, data, status);
  if (typeof payload === "string") return { ok: false, message: payload };
  return { ok: true, response: { sw1, sw2, status, payload } };
}

function payloadFor(command: CommandKind, data: Uint8Array, status: SamStatus): ResponsePayload | string {
  switch (command) {
    case "find_card":
      // [1]: the 4 bytes are the IIN, zero in every trace; accept a reply without them too.
      return status.code === "card_found" ? { kind: "card_found", iin: data.slice() } : `find card answered ${status.message}`;
    case "select_card":
      return { kind: "card_selected", serial: data.slice() };
    case "read_sam_id": {
      const samId = parseSamId(data);
      return samId === undefined ? `SAM id of ${data.length} byte(s), expected ${SAM_ID_BYTES}` : { kind: "sam_id", samId };
    }
    case "read_base":
      return baseMessage(data, false);
    case "read_base_with_fingerprint":
      return baseMessage(data, true);
    case "read_newest_address":
      return data.length % 2 === 0 ? { kind: "newest_address", address: decodeUcs2Trimmed(data) } : `newest address of odd length ${data.length}`;
    case "reset_sam":
    case "sam_status":
    case "set_baud_rate":
    case "set_max_rf_frame":
      // [?] for reset: extra data, if any, is ignored rather than rejected.
      return { kind: "status_only" };
  }
}

function inferPayload(data: Uint8Array, status: SamStatus): ResponsePayload {
  if (status.code === "card_found") return { kind: "card_found", iin: data.slice() };
  if (data.length === 0) return { kind: "status_only" };
  const base = baseMessage(data, false);
  if (typeof base !== "string") return base;
  const withFingerprint = baseMessage(data, true);
  if (typeof withFingerprint !== "string") return withFingerprint;
  if (data.length === SAM_ID_BYTES) {
    const samId = parseSamId(data);
    if (samId !== undefined) return { kind: "sam_id", samId };
  }
  if (data.length === 8) return { kind: "card_selected", serial: data.slice() };
  if (data.length === NEWEST_ADDRESS_BYTES) return { kind: "newest_address", address: decodeUcs2Trimmed(data) };
  return { kind: "opaque", data: data.slice() };
}

function u16be(data: Uint8Array, at: number): number {
  return ((data[at] ?? 0) << 8) | (data[at + 1] ?? 0);
}

/** Lengths come from the reply's own header (big-endian, parenthesised: the `b[10] << 8 + b[11]` bug). */
function baseMessage(data: Uint8Array, withFingerprint: boolean): ResponsePayload | string {
  const header = withFingerprint ? 6 : 4;
  if (data.length < header) return `base message of ${data.length} byte(s) has no length header`;
  const textLength = u16be(data, 0);
  const photoLength = u16be(data, 2);
  const fingerprintLength = withFingerprint ? u16be(data, 4) : 0;
  const expected = header + textLength + photoLength + fingerprintLength;
  if (expected !== data.length) {
    return `base message header says ${textLength} text + ${photoLength} photo${withFingerprint ? ` + ${fingerprintLength} fingerprint` : ""} byte(s), the reply holds ${data.length - header}`;
  }
  if (textLength !== TEXT_BLOCK_BYTES) return `text block of ${textLength} byte(s), expected ${TEXT_BLOCK_BYTES}`;
  const text = data.slice(header, header + textLength);
  const photo = data.slice(header + textLength, header + textLength + photoLength);
  const fingerprint = withFingerprint ? data.slice(header + textLength + photoLength) : null;
  return { kind: "base_message", text, photo, fingerprint };
}

export function decodeUcs2Trimmed(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength - (bytes.byteLength % 2))
    .toString("utf16le")
    .replaceAll("\u0000", " ")
    .trimEnd();
}

/** Data of a successful `read base message` reply (with the fingerprint length when `fingerprint` is given). */
export function baseMessageData(text: Uint8Array, photo: Uint8Array, fingerprint?: Uint8Array): Uint8Array {
  const header = fingerprint === undefined ? 4 : 6;
  const out = new Uint8Array(header + text.length + photo.length + (fingerprint?.length ?? 0));
  out[0] = text.length >> 8;
  out[1] = text.length & 0xff;
  out[2] = photo.length >> 8;
  out[3] = photo.length & 0xff;
  if (fingerprint !== undefined) {
    out[4] = fingerprint.length >> 8;
    out[5] = fingerprint.length & 0xff;
  }
  out.set(text, header);
  out.set(photo, header + text.length);
  if (fingerprint !== undefined) out.set(fingerprint, header + text.length + photo.length);
  return out;
}

/** A response frame with the given status and data; SW1 SW2 are 00 00 as in every trace. */
export function encodeResponse(sw3: number, data?: Uint8Array): Uint8Array {
  return encodeResponseFrame(sw3, data);
}
