import { describe, expect, it } from "vitest";
import { BAUD_RATES, COMMAND_KINDS, decodeRequestBody, encodeCommand, looksLikeRequest, type ReaderCommand } from "./reader-commands.js";
import { decodeStream } from "./frame-decoder.js";
import { hexBytes } from "./test-fixtures.js";

// Request frames copied from idcard-protocol.md's command table (checksums verified there by computation).
const GOLDEN: readonly [ReaderCommand, string][] = [
  [{ kind: "reset_sam" }, "AA AA AA 96 69 00 03 10 FF EC"],
  [{ kind: "sam_status" }, "AA AA AA 96 69 00 03 11 FF ED"],
  [{ kind: "read_sam_id" }, "AA AA AA 96 69 00 03 12 FF EE"],
  [{ kind: "find_card" }, "AA AA AA 96 69 00 03 20 01 22"],
  [{ kind: "select_card" }, "AA AA AA 96 69 00 03 20 02 21"],
  [{ kind: "read_base" }, "AA AA AA 96 69 00 03 30 01 32"],
  [{ kind: "read_base_with_fingerprint" }, "AA AA AA 96 69 00 03 30 10 23"],
  [{ kind: "read_newest_address" }, "AA AA AA 96 69 00 03 30 03 30"],
  [{ kind: "set_baud_rate", baudRate: 115200 }, "AA AA AA 96 69 00 03 60 00 63"],
  [{ kind: "set_max_rf_frame", bytes: 0x50 }, "AA AA AA 96 69 00 04 61 FF 50 CA"],
];

describe("reader commands", () => {
  it.each(GOLDEN)("%j encodes to the reference's bytes and decodes back", (command, hex) => {
    const golden = hexBytes(hex);
    expect(encodeCommand(command)).toEqual(golden);
    const [item] = decodeStream(golden);
    if (item?.kind !== "frame") throw new Error("golden frame did not decode");
    expect(decodeRequestBody(item.frame.body)).toEqual({ ok: true, command });
    expect(looksLikeRequest(item.frame.body)).toBe(true);
  });

  it("has a golden frame for every command kind", () => {
    expect(new Set(GOLDEN.map(([c]) => c.kind))).toEqual(new Set(COMMAND_KINDS));
  });

  it("round-trips every baud rate PARA 00-04 ([1])", () => {
    BAUD_RATES.forEach((baudRate, para) => {
      const frame = encodeCommand({ kind: "set_baud_rate", baudRate });
      expect(frame[8]).toBe(para);
      expect(decodeRequestBody(frame.subarray(7, -1))).toEqual({ ok: true, command: { kind: "set_baud_rate", baudRate } });
    });
  });

  it("reports unknown commands as values, including the mistakes seen in public code", () => {
    expect(decodeRequestBody(hexBytes("01 FF"))).toMatchObject({ ok: false, message: "unknown command 01 ff" });
    expect(decodeRequestBody(hexBytes("60 07"))).toMatchObject({ ok: false });
    expect(decodeRequestBody(hexBytes("20"))).toMatchObject({ ok: false });
    expect(decodeRequestBody(hexBytes("20 01 00"))).toMatchObject({ ok: false });
  });

  it("tells responses from requests", () => {
    expect(looksLikeRequest(hexBytes("00 00 9F 00 00 00 00"))).toBe(false);
    expect(looksLikeRequest(hexBytes("00 00 80"))).toBe(false);
    expect(looksLikeRequest(hexBytes("20 01"))).toBe(true);
  });

  it("refuses to encode a max RF frame size that does not fit one byte", () => {
    expect(() => encodeCommand({ kind: "set_max_rf_frame", bytes: 256 })).toThrow(RangeError);
  });
});
