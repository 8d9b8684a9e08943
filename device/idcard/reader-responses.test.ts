import { describe, expect, it } from "vitest";
import { decodeStream } from "./frame-decoder.js";
import { COMMAND_KINDS, type CommandKind } from "./reader-commands.js";
import { baseMessageData, decodeResponseBody, encodeResponse } from "./reader-responses.js";
import { parseSamId } from "./sam-id.js";
import { SAM_STATUS_CODES, samStatus, sw3Of } from "./sam-status.js";
import { hexBytes } from "./test-fixtures.js";

function body(hex: string): Uint8Array {
  const [item] = decodeStream(hexBytes(hex));
  if (item?.kind !== "frame") throw new Error(`not a frame: ${hex}`);
  return item.frame.body;
}

describe("reader responses", () => {
  it("decodes the reference's find-card replies", () => {
    expect(decodeResponseBody(body("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97"), "find_card")).toEqual({
      ok: true,
      response: { sw1: 0, sw2: 0, status: samStatus(0x9f), payload: { kind: "card_found", iin: new Uint8Array(4) } },
    });
    const none = decodeResponseBody(body("AA AA AA 96 69 00 04 00 00 80 84"), "find_card");
    expect(none).toMatchObject({ ok: true, response: { status: { code: "no_card", ok: false }, payload: { kind: "status_only" } } });
  });

  it("decodes a select reply (LEN 00 0C, 8 serial bytes) and its failure", () => {
    // LEN 0C = 3 SW + 8 data + CHK; CHK = 00^0C^00^00^90 = 9C.
    expect(decodeResponseBody(body("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C"), "select_card")).toMatchObject({
      ok: true,
      response: { status: { code: "success" }, payload: { kind: "card_selected", serial: new Uint8Array(8) } },
    });
    expect(decodeResponseBody(body("AA AA AA 96 69 00 04 00 00 81 85"), "select_card")).toMatchObject({ ok: true, response: { status: { code: "select_failed" } } });
  });

  it("decodes a SAM id reply (LEN 00 14) with and without knowing the request", () => {
    // 16 bytes 05 00 01 00 | CE 2B 33 01 | 15 CD 5B 07 | B1 68 DE 3A; CHK by hand: 00^14^00^00^90 then the data.
    const data = "05 00 01 00 CE 2B 33 01 15 CD 5B 07 B1 68 DE 3A";
    let chk = 0x00 ^ 0x14 ^ 0x90;
    for (const b of hexBytes(data)) chk ^= b;
    const frame = `AA AA AA 96 69 00 14 00 00 90 ${data} ${chk.toString(16)}`;
    const expected = { kind: "sam_id", samId: { hex: "05000100ce2b330115cd5b07b168de3a", text: "05.01-20130766-0123456789-0987654321" } };
    expect(decodeResponseBody(body(frame), "read_sam_id")).toMatchObject({ ok: true, response: { payload: expected } });
    expect(decodeResponseBody(body(frame))).toMatchObject({ ok: true, response: { payload: expected } });
    expect(parseSamId(new Uint8Array(15))).toBeUndefined();
  });

  it("decodes the generic read failure and keeps non-zero SW1 SW2 ([1])", () => {
    expect(decodeResponseBody(body("AA AA AA 96 69 00 04 00 00 41 45"), "read_base")).toMatchObject({ ok: true, response: { status: { code: "card_read_failed" } } });
    expect(decodeResponseBody(hexBytes("6A 82 41"), "read_base")).toMatchObject({ ok: true, response: { sw1: 0x6a, sw2: 0x82, status: { code: "card_read_failed" } } });
  });

  it("splits a read-base reply by its own length header, with and without fingerprint", () => {
    const text = new Uint8Array(256).fill(1);
    const photo = new Uint8Array(1024).fill(2);
    const fingerprint = new Uint8Array(512).fill(3);
    const plain = decodeStream(encodeResponse(0x90, baseMessageData(text, photo)));
    expect(plain[0]).toMatchObject({ kind: "frame", frame: { frameBytes: 1295 } });
    const withFp = decodeStream(encodeResponse(0x90, baseMessageData(text, photo, fingerprint)));
    expect(withFp[0]).toMatchObject({ kind: "frame", frame: { frameBytes: 1809 } });
    const noFp = decodeStream(encodeResponse(0x90, baseMessageData(text, photo, new Uint8Array(0))));
    expect(noFp[0]).toMatchObject({ kind: "frame", frame: { frameBytes: 1297 } });
    const full = decodeStream(encodeResponse(0x90, baseMessageData(text, photo, new Uint8Array(1024))));
    expect(full[0]).toMatchObject({ kind: "frame", frame: { frameBytes: 2321 } });
    if (plain[0]?.kind !== "frame" || withFp[0]?.kind !== "frame") throw new Error("no frame");
    expect(decodeResponseBody(plain[0].frame.body, "read_base")).toMatchObject({ ok: true, response: { payload: { kind: "base_message", text, photo, fingerprint: null } } });
    expect(decodeResponseBody(withFp[0].frame.body, "read_base_with_fingerprint")).toMatchObject({ ok: true, response: { payload: { kind: "base_message", fingerprint } } });
    // Shape inference tells the two apart without the request.
    expect(decodeResponseBody(withFp[0].frame.body)).toMatchObject({ ok: true, response: { payload: { kind: "base_message", fingerprint } } });
  });

  it("rejects a read-base reply whose header disagrees with its size", () => {
    const data = baseMessageData(new Uint8Array(256), new Uint8Array(1024)).slice(0, 1000);
    const result = decodeResponseBody(Uint8Array.of(0, 0, 0x90, ...data), "read_base");
    expect(result).toMatchObject({ ok: false });
  });

  it("decodes the newest address as UCS-2LE (70 bytes, [1]) and 91 as 'none'", () => {
    const address = Buffer.alloc(70, 0);
    for (let i = 0; i < 70; i += 2) address.write(" ", i, "utf16le");
    address.write("上海市", 0, "utf16le");
    expect(decodeResponseBody(Uint8Array.of(0, 0, 0x90, ...address), "read_newest_address")).toMatchObject({ ok: true, response: { payload: { kind: "newest_address", address: "上海市" } } });
    expect(decodeResponseBody(hexBytes("00 00 91"), "read_newest_address")).toMatchObject({ ok: true, response: { status: { code: "item_empty", ok: true }, payload: { kind: "status_only" } } });
  });

  it("maps every SW3 of the reference to a code and message, and anything else to unknown_status", () => {
    const table = [0x90, 0x91, 0x9f, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x60, 0x66, 0x80, 0x81];
    const codes = table.map((sw3) => samStatus(sw3).code);
    expect(new Set(codes).size).toBe(table.length);
    expect(codes).not.toContain("unknown_status");
    expect([...codes, "unknown_status"].sort()).toEqual([...SAM_STATUS_CODES].sort());
    for (const sw3 of table) expect(sw3Of(samStatus(sw3).code as Exclude<ReturnType<typeof samStatus>["code"], "unknown_status">)).toBe(sw3);
    expect(samStatus(0x66).message).toMatch(/not authorised/u);
    expect(samStatus(0x01)).toMatchObject({ code: "unknown_status", ok: false, message: "unknown SAM status 0x01" });
  });
});

describe("every command's reply round-trips through encoder and decoder", () => {
  const text = new Uint8Array(256).fill(0x20);
  const photo = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);
  const address = new Uint8Array(70);
  Buffer.from("北京".padEnd(35, " "), "utf16le").copy(address);
  const cases: [CommandKind, number, Uint8Array, string][] = [
    ["reset_sam", 0x90, new Uint8Array(0), "status_only"],
    ["sam_status", 0x90, new Uint8Array(0), "status_only"],
    ["read_sam_id", 0x90, Uint8Array.from({ length: 16 }, (_, i) => i), "sam_id"],
    ["find_card", 0x9f, new Uint8Array(4), "card_found"],
    ["select_card", 0x90, new Uint8Array(8), "card_selected"],
    ["read_base", 0x90, baseMessageData(text, photo), "base_message"],
    ["read_base_with_fingerprint", 0x90, baseMessageData(text, photo, new Uint8Array(1024)), "base_message"],
    ["read_newest_address", 0x90, address, "newest_address"],
    ["set_baud_rate", 0x90, new Uint8Array(0), "status_only"],
    ["set_max_rf_frame", 0x90, new Uint8Array(0), "status_only"],
  ];
  it("covers every command kind", () => {
    expect(new Set(cases.map(([kind]) => kind))).toEqual(new Set(COMMAND_KINDS));
  });
  it.each(cases)("%s", (kind, sw3, data, payloadKind) => {
    const items = decodeStream(encodeResponse(sw3, data));
    const [item] = items;
    if (items.length !== 1 || item?.kind !== "frame") throw new Error("no single frame");
    expect(item.frame.body).toEqual(Uint8Array.of(0, 0, sw3, ...data));
    const decoded = decodeResponseBody(item.frame.body, kind);
    expect(decoded).toMatchObject({ ok: true, response: { status: { sw3 }, payload: { kind: payloadKind } } });
    // Every command's failure reply decodes to a status with no payload.
    expect(decodeResponseBody(Uint8Array.of(0, 0, 0x41), kind)).toMatchObject({ ok: true, response: { status: { code: "card_read_failed" }, payload: { kind: "status_only" } } });
  });
});
