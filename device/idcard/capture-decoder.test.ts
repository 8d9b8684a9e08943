import { describe, expect, it } from "vitest";
import { decodeCapture, parseHexCapture } from "./capture-decoder.js";

describe("capture decoder", () => {
  it("decodes an interleaved capture: requests, paired responses and errors in stream order", () => {
    const text = `
      AA AA AA 96 69 00 03 20 01 22
      AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97
      13 37
      AA AA AA 96 69 00 03 20 02 21
      AA AA AA 96 69 00 04 00 00 81 86
      AA AA AA 96 69 00 04 00 00 81 85`;
    const parsed = parseHexCapture(text);
    if (!parsed.ok) throw new Error(parsed.message);
    const items = decodeCapture(parsed.bytes);
    expect(items.map((i) => (i.kind === "error" ? `error:${i.code}` : i.kind === "request" ? `request:${i.command.kind}` : `response:${i.answers}:${i.response.status.code}`))).toEqual([
      "request:find_card",
      "response:find_card:card_found",
      "error:garbage",
      "request:select_card",
      "error:bad_checksum",
      "error:garbage",
      "response:select_card:select_failed",
    ]);
  });

  it("accepts 0x prefixes and separators, and refuses non-hex text", () => {
    expect(parseHexCapture("0xAA,0xaa:AA 96\n69")).toEqual({ ok: true, bytes: Uint8Array.of(0xaa, 0xaa, 0xaa, 0x96, 0x69) });
    expect(parseHexCapture("AA AG")).toMatchObject({ ok: false });
    expect(parseHexCapture("AAA")).toMatchObject({ ok: false });
  });
});
