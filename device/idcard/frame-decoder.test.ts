import { describe, expect, it } from "vitest";
import { decodeStream, FrameDecoder, type DecodedItem } from "./frame-decoder.js";
import { MAX_FRAME_BYTES } from "./frame-layout.js";
import { concatBytes, hexBytes } from "./test-fixtures.js";

// Golden frames copied from idcard-protocol.md ("Commands"), not produced by our encoder.
const FIND_CARD = hexBytes("AA AA AA 96 69 00 03 20 01 22");
const CARD_FOUND = hexBytes("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97");
const NO_CARD = hexBytes("AA AA AA 96 69 00 04 00 00 80 84");
const READ_FAILED = hexBytes("AA AA AA 96 69 00 04 00 00 41 45");
const SET_MAX_RF = hexBytes("AA AA AA 96 69 00 04 61 FF 50 CA");
const STREAM = concatBytes(FIND_CARD, CARD_FOUND, NO_CARD, SET_MAX_RF, READ_FAILED);
const BODIES = ["20 01", "00 00 9F 00 00 00 00", "00 00 80", "61 FF 50", "00 00 41"].map(hexBytes);

function frames(items: readonly DecodedItem[]): Uint8Array[] {
  return items.flatMap((item) => (item.kind === "frame" ? [item.frame.body] : []));
}
function errors(items: readonly DecodedItem[]): string[] {
  return items.flatMap((item) => (item.kind === "error" ? [item.error.code] : []));
}

function feed(decoder: FrameDecoder, stream: Uint8Array, cuts: readonly number[]): DecodedItem[] {
  const items: DecodedItem[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    items.push(...decoder.push(stream.subarray(from, cut)));
    from = cut;
  }
  return [...items, ...decoder.flush()];
}

describe("FrameDecoder", () => {
  it("decodes the reference's frames in one chunk, with their offsets", () => {
    const items = decodeStream(STREAM);
    expect(errors(items)).toEqual([]);
    expect(frames(items)).toEqual(BODIES);
    const offsets = items.map((item) => (item.kind === "frame" ? item.frame.offset : -1));
    expect(offsets).toEqual([0, 10, 25, 36, 47]);
  });

  it("decodes the same frames for every single split point of the stream", () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const items = feed(new FrameDecoder(), STREAM, [cut]);
      expect(errors(items), `cut at ${cut}`).toEqual([]);
      expect(frames(items), `cut at ${cut}`).toEqual(BODIES);
    }
  });

  it("decodes the same frames fed one byte at a time", () => {
    const cuts = Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1);
    const items = feed(new FrameDecoder(), STREAM, cuts);
    expect(errors(items)).toEqual([]);
    expect(frames(items)).toEqual(BODIES);
  });

  it("decodes the same frames under 500 random chunkings", () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let round = 0; round < 500; round++) {
      const cuts = Array.from({ length: Math.floor(next() * 12) }, () => Math.floor(next() * STREAM.length)).sort((a, b) => a - b);
      const items = feed(new FrameDecoder(), STREAM, cuts);
      expect(errors(items)).toEqual([]);
      expect(frames(items)).toEqual(BODIES);
    }
  });

  it("reports garbage before a preamble as one error and still decodes the frame", () => {
    const items = decodeStream(concatBytes(hexBytes("00 13 AA 96 69 AA AA"), FIND_CARD));
    expect(items[0]).toMatchObject({ kind: "error", error: { code: "garbage", bytes: 7, offset: 0 } });
    expect(frames(items)).toEqual([BODIES[0]]);
  });

  it("reports a bad checksum and resynchronises on the next preamble", () => {
    const corrupted = CARD_FOUND.slice();
    corrupted[corrupted.length - 1] = 0x98;
    const items = decodeStream(concatBytes(corrupted, NO_CARD));
    expect(items[0]).toMatchObject({ kind: "error", error: { code: "bad_checksum", offset: 0, len: 8 } });
    expect(frames(items)).toEqual([BODIES[2]]);
  });

  it("finds a frame hidden behind a corrupted length once the claimed bytes have passed", () => {
    const corrupted = CARD_FOUND.slice();
    corrupted[6] = 0x20; // LEN 0x0020: swallows the next frame and more
    const tail = new Uint8Array(40);
    const items = decodeStream(concatBytes(corrupted, NO_CARD, tail));
    expect(errors(items)[0]).toBe("bad_checksum");
    expect(frames(items)).toEqual([BODIES[2]]);
  });

  it("reports a length below the smallest frame and above the largest", () => {
    expect(errors(decodeStream(concatBytes(hexBytes("AA AA AA 96 69 00 02 00 02"), NO_CARD)))).toEqual(["bad_length", "garbage"]);
    const oversize = decodeStream(concatBytes(hexBytes("AA AA AA 96 69 09 0B"), NO_CARD));
    expect(oversize[0]).toMatchObject({ kind: "error", error: { code: "oversize", len: 0x090b } });
    expect(frames(oversize)).toEqual([BODIES[2]]);
  });

  it("keeps an incomplete frame pending and reports it as truncated on flush, decoding what follows it", () => {
    const decoder = new FrameDecoder();
    const cut = CARD_FOUND.subarray(0, 9);
    expect(decoder.push(cut)).toEqual([]);
    expect(decoder.pendingBytes).toBe(9);
    const items = decoder.flush();
    expect(items[0]).toMatchObject({ kind: "error", error: { code: "truncated", bytes: 9, len: 8 } });
    expect(decoder.pendingBytes).toBe(0);
    // A truncated read-base reply (LEN 05 08) followed by a whole one: the flush finds the whole one behind the cut.
    const again = new FrameDecoder();
    expect(frames(again.push(concatBytes(hexBytes("AA AA AA 96 69 05 08 00 00 90 01 00"), NO_CARD)))).toEqual([]);
    const flushed = again.flush();
    expect(errors(flushed)[0]).toBe("truncated");
    expect(frames(flushed)).toEqual([BODIES[2]]);
  });

  it("holds back a partial preamble at the end of a chunk instead of calling it garbage", () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(hexBytes("01 02 AA AA"))).toEqual([{ kind: "error", error: { code: "garbage", message: "2 byte(s) outside any frame", offset: 0, bytes: 2 } }]);
    expect(decoder.pendingBytes).toBe(2);
    expect(frames(decoder.push(FIND_CARD.subarray(2)))).toEqual([BODIES[0]]);
  });

  it("never holds more than two largest frames, whatever it is fed", () => {
    const decoder = new FrameDecoder();
    const noise = new Uint8Array(100_000).fill(0xaa);
    decoder.push(noise);
    expect(decoder.pendingBytes).toBeLessThanOrEqual(4);
    decoder.push(hexBytes("96 69 09 0A")); // a largest-frame header, never completed
    decoder.push(new Uint8Array(2000));
    expect(decoder.pendingBytes).toBeLessThanOrEqual(2 * MAX_FRAME_BYTES);
  });

  it("reset forgets a pending frame", () => {
    const decoder = new FrameDecoder();
    decoder.push(CARD_FOUND.subarray(0, 12));
    decoder.reset();
    expect(decoder.flush()).toEqual([]);
    expect(frames(decoder.push(NO_CARD))).toEqual([BODIES[2]]);
  });
});
