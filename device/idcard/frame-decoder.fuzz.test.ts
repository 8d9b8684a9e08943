import { describe, expect, it } from "vitest";
import { encodeFrame } from "./frame-encoder.js";
import { FrameDecoder, type DecodedItem } from "./frame-decoder.js";
import { MAX_FRAME_BYTES } from "./frame-layout.js";
import { baseMessageData, encodeResponse } from "./reader-responses.js";
import { encodeCommand } from "./reader-commands.js";
import { concatBytes, xorshift32 } from "./test-fixtures.js";


/** Bytes that steer the decoder into its interesting paths: preamble bytes, small and huge lengths. */
const HOT = [0xaa, 0xaa, 0xaa, 0x96, 0x69, 0x00, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0a, 0xff, 0x90, 0x9f];
const BOUND = 2 * MAX_FRAME_BYTES;

const VALID_STREAMS: readonly Uint8Array[] = [
  concatBytes(encodeCommand({ kind: "find_card" }), encodeResponse(0x9f, new Uint8Array(4)), encodeCommand({ kind: "select_card" }), encodeResponse(0x90, new Uint8Array(8))),
  concatBytes(encodeCommand({ kind: "read_sam_id" }), encodeResponse(0x90, Uint8Array.from({ length: 16 }, (_, i) => i * 7)), encodeResponse(0x80)),
  concatBytes(encodeCommand({ kind: "read_base" }), encodeResponse(0x90, baseMessageData(new Uint8Array(256).fill(0x20), Uint8Array.from({ length: 1024 }, (_, i) => (i * 31) & 0xff)))),
];

/** Every frame the decoder yields must be exactly the bytes of a valid frame at its offset in `input`. */
function assertFramesGenuine(items: readonly DecodedItem[], input: Uint8Array, base: number): void {
  for (const item of items) {
    if (item.kind !== "frame") continue;
    const at = item.frame.offset - base;
    const wire = input.subarray(at, at + item.frame.frameBytes);
    const expected = encodeFrame(item.frame.body);
    if (wire.length !== expected.length || wire.some((b, k) => b !== expected[k])) throw new Error(`frame at ${item.frame.offset} is not the bytes on the wire`);
  }
}

function mutate(source: Uint8Array, next: () => number): Uint8Array {
  const bytes = Array.from(source);
  const edits = 1 + (next() % 4);
  for (let e = 0; e < edits; e++) {
    const at = next() % (bytes.length + 1);
    switch (next() % 5) {
      case 0:
        bytes[at] = (bytes[at] ?? 0) ^ (1 << (next() % 8));
        break;
      case 1:
        bytes.splice(at, 0, ...Array.from({ length: 1 + (next() % 8) }, () => (next() % 3 === 0 ? (HOT[next() % HOT.length] ?? 0) : next() & 0xff)));
        break;
      case 2:
        bytes.splice(at, 1 + (next() % 16));
        break;
      case 3:
        bytes.length = Math.min(bytes.length, at);
        break;
      default:
        bytes[at] = next() & 0xff;
    }
  }
  return Uint8Array.from(bytes);
}

describe("FrameDecoder under fuzzing", () => {
  it("takes 1.2 million random and mutated inputs without throwing, with only genuine frames and a bounded buffer", () => {
    const started = Date.now();
    let inputs = 0;
    let framesSeen = 0;
    const errorCodes = new Set<string>();

    // 1,000,000 short random inputs (0-23 bytes, hot bytes and now and then a valid frame mixed in)
    // through one long-lived decoder, as a noisy line would deliver them; a flush every 64 inputs
    // stands for a reply timeout. The inputs are consecutive views of one buffer, so stream offsets
    // index it directly.
    const next = xorshift32(0x5eed);
    const noisy = new Uint8Array(12_000_000);
    for (let j = 0; j < noisy.length; j++) {
      if (next() % 4096 === 0) {
        const frame = VALID_STREAMS[next() % 2] ?? new Uint8Array(0);
        if (j + frame.length < noisy.length) noisy.set(frame, j);
        j += frame.length - 1;
        continue;
      }
      noisy[j] = next() % 2 === 0 ? (HOT[next() % HOT.length] ?? 0) : next() & 0xff;
    }
    const longLived = new FrameDecoder();
    let cursor = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const length = next() % 24;
      const items = longLived.push(noisy.subarray(cursor, cursor + length));
      cursor += length;
      if (i % 64 === 63) items.push(...longLived.flush());
      inputs++;
      for (const item of items) {
        if (item.kind === "frame") framesSeen++;
        else errorCodes.add(item.error.code);
      }
      if (longLived.pendingBytes > BOUND) throw new Error(`pending ${longLived.pendingBytes} after input ${i}`);
      assertFramesGenuine(items, noisy, 0);
    }

    // 200,000 mutations of valid streams (bit flips, inserts, deletes, truncations), randomly chunked.
    const decoder = new FrameDecoder();
    let base = 0;
    for (let i = 0; i < 200_000; i++) {
      const source = i % 20 === 0 ? VALID_STREAMS[2] : VALID_STREAMS[i % 2];
      if (source === undefined) throw new Error("no stream");
      const input = mutate(source, next);
      const items: DecodedItem[] = [];
      let at = 0;
      while (at < input.length) {
        const size = 1 + (next() % 64);
        items.push(...decoder.push(input.subarray(at, at + size)));
        at += size;
        if (decoder.pendingBytes > BOUND) throw new Error(`pending ${decoder.pendingBytes} in mutation ${i}`);
      }
      items.push(...decoder.flush());
      assertFramesGenuine(items, input, base);
      base += input.length;
      inputs++;
      for (const item of items) {
        if (item.kind === "frame") framesSeen++;
        else errorCodes.add(item.error.code);
      }
    }

    expect(inputs).toBeGreaterThanOrEqual(1_000_000);
    expect(framesSeen).toBeGreaterThan(0);
    // The fuzz reached every error path.
    expect([...errorCodes].sort()).toEqual(["bad_checksum", "bad_length", "garbage", "oversize", "truncated"]);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
