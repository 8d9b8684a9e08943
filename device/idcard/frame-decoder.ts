import { HEADER_BYTES, MAX_FRAME_BYTES, MAX_LEN, MIN_LEN, PREAMBLE, PREAMBLE_BYTES, xorChecksum } from "./frame-layout.js";

/**
 * Why bytes from the wire did not make a frame. The decoder reports these as values and moves on:
 * it never throws on input (STYLE.md, zwave-js's framing layer).
 */
export const FRAME_ERROR_CODES = ["garbage", "bad_length", "oversize", "bad_checksum", "truncated"] as const;
export type FrameErrorCode = (typeof FRAME_ERROR_CODES)[number];

export interface FrameError {
  readonly code: FrameErrorCode;
  readonly message: string;
  /** Stream offset (bytes since the decoder was created or reset) of the first byte concerned. */
  readonly offset: number;
  /** How many bytes this error discarded or concerns. */
  readonly bytes: number;
  /** The LEN field, when one was read. */
  readonly len?: number;
}

export interface DecodedFrame {
  /** The bytes between LEN and CHK: CMD PARA DATA for a request, SW1 SW2 SW3 DATA for a response. */
  readonly body: Uint8Array;
  /** Stream offset of the frame's first preamble byte. */
  readonly offset: number;
  /** Whole frame length on the wire. */
  readonly frameBytes: number;
}

export type DecodedItem = { readonly kind: "frame"; readonly frame: DecodedFrame } | { readonly kind: "error"; readonly error: FrameError };

/** Room for one largest frame still pending plus one largest slice of new input. */
const CAPACITY = 2 * MAX_FRAME_BYTES;

/**
 * Incremental decoder: push arbitrary chunks, get frames and typed errors back in stream order.
 *
 * Resynchronisation: after a bad length or checksum only the 5 preamble bytes are dropped and the
 * search restarts right behind them, so a frame hidden behind a corrupted LEN is still found
 * (a preamble cannot overlap itself, so nothing real is skipped). Memory is bounded: input is taken in
 * slices and the buffer never holds more than one incomplete frame plus one slice (CAPACITY bytes).
 * A frame that never completes stays pending until more bytes arrive or `flush()` reports it as
 * truncated; the driver calls `flush()` when a reply times out.
 */
export class FrameDecoder {
  private readonly buffer = new Uint8Array(CAPACITY);
  private start = 0;
  private end = 0;
  /** Stream offset of buffer[start]. */
  private offset = 0;
  private garbageBytes = 0;
  private garbageOffset = 0;

  /** Decode `chunk` together with whatever earlier chunks left pending. */
  push(chunk: Uint8Array): DecodedItem[] {
    const items: DecodedItem[] = [];
    let taken = 0;
    while (taken < chunk.length) {
      this.compact();
      const slice = Math.min(chunk.length - taken, CAPACITY - this.end);
      this.buffer.set(chunk.subarray(taken, taken + slice), this.end);
      this.end += slice;
      taken += slice;
      this.scan(items, false);
    }
    this.reportGarbage(items);
    return items;
  }

  /** End of input (or a reply timeout): report an incomplete frame as truncated and decode what follows it. */
  flush(): DecodedItem[] {
    const items: DecodedItem[] = [];
    this.scan(items, true);
    this.reportGarbage(items);
    return items;
  }

  /** Forget everything pending (a reopened port starts a new stream). Offsets keep counting. */
  reset(): void {
    this.offset += this.end - this.start;
    this.start = 0;
    this.end = 0;
    this.garbageBytes = 0;
  }

  /** Bytes held back waiting for the rest of a frame; never more than CAPACITY. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  private compact(): void {
    if (this.start === 0) return;
    this.buffer.copyWithin(0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }

  private advance(bytes: number): void {
    this.start += bytes;
    this.offset += bytes;
  }

  private discardAsGarbage(bytes: number): void {
    if (bytes <= 0) return;
    if (this.garbageBytes === 0) this.garbageOffset = this.offset;
    this.garbageBytes += bytes;
    this.advance(bytes);
  }

  private reportGarbage(items: DecodedItem[]): void {
    if (this.garbageBytes === 0) return;
    const bytes = this.garbageBytes;
    this.garbageBytes = 0;
    items.push(error("garbage", `${bytes} byte(s) outside any frame`, this.garbageOffset, bytes));
  }

  private fail(items: DecodedItem[], code: FrameErrorCode, message: string, bytes: number, len?: number): void {
    this.reportGarbage(items);
    items.push(error(code, message, this.offset, bytes, len));
    // Drop only the preamble: the real next frame may start inside what a corrupted LEN claimed.
    this.advance(PREAMBLE_BYTES);
  }

  private scan(items: DecodedItem[], final: boolean): void {
    for (;;) {
      const found = this.findPreamble();
      if (found < 0) {
        const keep = final ? 0 : this.preamblePrefixAtEnd();
        this.discardAsGarbage(this.end - this.start - keep);
        return;
      }
      this.discardAsGarbage(found - this.start);
      const available = this.end - this.start;
      if (available < HEADER_BYTES) {
        if (!final) return;
        this.fail(items, "truncated", `frame cut off after ${available} byte(s), before its length`, available);
        continue;
      }
      const len = ((this.buffer[this.start + PREAMBLE_BYTES] ?? 0) << 8) | (this.buffer[this.start + PREAMBLE_BYTES + 1] ?? 0);
      if (len < MIN_LEN) {
        this.fail(items, "bad_length", `LEN ${len} is below the smallest frame (${MIN_LEN})`, HEADER_BYTES, len);
        continue;
      }
      if (len > MAX_LEN) {
        this.fail(items, "oversize", `LEN ${len} exceeds the largest frame of the protocol (${MAX_LEN})`, HEADER_BYTES, len);
        continue;
      }
      const total = HEADER_BYTES + len;
      if (available < total) {
        if (!final) return;
        this.fail(items, "truncated", `frame cut off after ${available} of ${total} byte(s)`, available, len);
        continue;
      }
      const last = this.start + total - 1;
      const expected = xorChecksum(this.buffer, this.start + PREAMBLE_BYTES, last);
      const actual = this.buffer[last] ?? 0;
      if (expected !== actual) {
        this.fail(items, "bad_checksum", `checksum ${hex(actual)} where the bytes give ${hex(expected)}`, total, len);
        continue;
      }
      this.reportGarbage(items);
      const body = this.buffer.slice(this.start + HEADER_BYTES, last);
      items.push({ kind: "frame", frame: { body, offset: this.offset, frameBytes: total } });
      this.advance(total);
    }
  }

  /** Index of the next full preamble at or after `start`, or -1. */
  private findPreamble(): number {
    const b = this.buffer;
    for (let i = this.start; i + PREAMBLE_BYTES <= this.end; i++) {
      if (b[i] === 0xaa && b[i + 3] === 0x96 && b[i + 4] === 0x69 && b[i + 1] === 0xaa && b[i + 2] === 0xaa) return i;
    }
    return -1;
  }

  /** Length of the longest tail of the buffer that could still become a preamble. */
  private preamblePrefixAtEnd(): number {
    const available = this.end - this.start;
    for (let keep = Math.min(PREAMBLE_BYTES - 1, available); keep > 0; keep--) {
      let matches = true;
      for (let j = 0; j < keep; j++) {
        if (this.buffer[this.end - keep + j] !== PREAMBLE[j]) {
          matches = false;
          break;
        }
      }
      if (matches) return keep;
    }
    return 0;
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

function error(code: FrameErrorCode, message: string, offset: number, bytes: number, len?: number): DecodedItem {
  return { kind: "error", error: len === undefined ? { code, message, offset, bytes } : { code, message, offset, bytes, len } };
}

/** Decode a whole captured stream at once (end of input included). */
export function decodeStream(bytes: Uint8Array): DecodedItem[] {
  const decoder = new FrameDecoder();
  return [...decoder.push(bytes), ...decoder.flush()];
}
