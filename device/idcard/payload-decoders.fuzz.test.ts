import { describe, expect, it } from "vitest";
import { decodeCapture } from "./capture-decoder.js";
import { encodeCardText } from "./card-text-encoder.js";
import { parseCardText } from "./card-text-parser.js";
import { COMMAND_KINDS, decodeRequestBody } from "./reader-commands.js";
import { baseMessageData, decodeResponseBody, encodeResponse } from "./reader-responses.js";
import { SAMPLE_RESIDENT_CARD, xorshift32 } from "./test-fixtures.js";

/** The layers above the frame decoder take whatever bodies the wire delivers: values out, never exceptions. */
describe("payload decoders under fuzzing", () => {
  it("parse 100,000 mutated text blocks of every card type and 100,000 random bodies without throwing", () => {
    const next = xorshift32(0xc0ffee);
    const blocks = ["", "J", "I", "Y"].map((type) => {
      const block = encodeCardText(SAMPLE_RESIDENT_CARD);
      Buffer.from(type.padEnd(1, " "), "utf16le").copy(block, 248);
      return block;
    });
    const outcomes = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const block = (blocks[i % 4] ?? new Uint8Array(256)).slice();
      const edits = 1 + (next() % 6);
      for (let e = 0; e < edits; e++) block[next() % 256] = next() % 3 === 0 ? 0x20 : next() & 0xff;
      const result = parseCardText(block);
      outcomes.add(result.ok ? "ok" : result.error.code);
    }
    expect([...outcomes].sort()).toEqual(["bad_field", "bad_id_number", "ok", "unknown_card_type"]);

    for (let i = 0; i < 100_000; i++) {
      const length = next() % 40;
      const body = Uint8Array.from({ length }, () => (next() % 4 === 0 ? 0 : next() & 0xff));
      decodeRequestBody(body);
      decodeResponseBody(body);
      decodeResponseBody(body, COMMAND_KINDS[next() % COMMAND_KINDS.length]);
    }
    // Read-base replies with lying length headers.
    for (let i = 0; i < 20_000; i++) {
      const data = baseMessageData(blocks[0] ?? new Uint8Array(256), new Uint8Array(1024));
      data[next() % 6] = next() & 0xff;
      const decoded = decodeResponseBody(Uint8Array.of(0, 0, 0x90, ...data.subarray(0, data.length - (next() % 3))), "read_base");
      if (decoded.ok && decoded.response.payload.kind === "base_message") parseCardText(decoded.response.payload.text);
    }
    // Whole captures of mutated replies through the capture decoder.
    const reply = encodeResponse(0x90, baseMessageData(blocks[0] ?? new Uint8Array(256), new Uint8Array(1024)));
    for (let i = 0; i < 2_000; i++) {
      const capture = reply.slice();
      capture[next() % capture.length] = next() & 0xff;
      expect(Array.isArray(decodeCapture(capture))).toBe(true);
    }
  });
});
