import { toHex } from "./frame-layout.js";

/**
 * The SAM module's 16-byte identity, as `read SAM id` (12 FF) returns it.
 *
 * [?] Implementations disagree on how to print it. We keep the raw hex (unambiguous, what support
 * should compare) and add the common rendering `d[0].d[2]-u32le(d[4..7])-u32le(d[8..11])-u32le(d[12..15])`
 * with the first two numbers as two decimal digits, the second group unpadded and the last two
 * zero-padded to ten digits — the form printed on vendor labels in the traces we have seen.
 */
export interface SamId {
  readonly hex: string;
  readonly text: string;
}

export const SAM_ID_BYTES = 16;

export function parseSamId(bytes: Uint8Array): SamId | undefined {
  if (bytes.length !== SAM_ID_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const two = (n: number): string => String(n).padStart(2, "0");
  const ten = (n: number): string => String(n).padStart(10, "0");
  const text = `${two(bytes[0] ?? 0)}.${two(bytes[2] ?? 0)}-${view.getUint32(4, true)}-${ten(view.getUint32(8, true))}-${ten(view.getUint32(12, true))}`;
  return { hex: toHex(bytes, ""), text };
}
