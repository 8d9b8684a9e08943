/**
 * The byte layout shared by requests and responses of the GA 467 SAM protocol
 * (shared/idcard-protocol.md, "Frames", all marked [2]):
 *
 *   AA AA AA 96 69 | LEN_H LEN_L | body ... | CHK
 *
 * LEN is big-endian and counts every byte after itself, CHK included. CHK is the XOR of LEN_H,
 * LEN_L and the body. A request body is CMD PARA DATA…, a response body SW1 SW2 SW3 DATA….
 */
export const PREAMBLE: readonly number[] = [0xaa, 0xaa, 0xaa, 0x96, 0x69];
export const PREAMBLE_BYTES = PREAMBLE.length;
/** Preamble plus the two length bytes. */
export const HEADER_BYTES = PREAMBLE_BYTES + 2;

/** Largest frame on the wire: read base message with 1024 fingerprint bytes, LEN `09 0A` [2]. */
export const MAX_FRAME_BYTES = 2321;
/** The LEN that frame carries; anything larger is not a frame of this protocol. */
export const MAX_LEN = MAX_FRAME_BYTES - HEADER_BYTES;
/** Smallest LEN: a request with no data (CMD PARA CHK). A response's smallest LEN is 4. */
export const MIN_LEN = 3;

/** XOR of `bytes[start..end)`. */
export function xorChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let chk = 0;
  for (let i = start; i < end; i++) chk ^= bytes[i] ?? 0;
  return chk;
}

/** Hex text `aa aa aa 96 69` of some bytes, for messages and logs. */
export function toHex(bytes: Uint8Array, separator = " "): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(separator);
}
