/**
 * SW3, the SAM's status byte in every response (idcard-protocol.md, "SW3 status codes", [2]).
 * Codes 01, 02, 03, 05 of vendor SDKs are PC-library return values and never appear on the wire.
 */
export const SAM_STATUS_CODES = [
  "success",
  "item_empty",
  "card_found",
  "terminal_checksum_error",
  "terminal_length_error",
  "command_error",
  "not_permitted",
  "unrecognised_error",
  "card_rejected_sam",
  "sam_rejected_card",
  "verification_error",
  "unknown_card_type",
  "card_read_failed",
  "get_random_failed",
  "sam_self_test_failed",
  "sam_not_authorised",
  "no_card",
  "select_failed",
  "unknown_status",
] as const;
export type SamStatusCode = (typeof SAM_STATUS_CODES)[number];

export interface SamStatus {
  readonly sw3: number;
  readonly code: SamStatusCode;
  /** What a technician should read. */
  readonly message: string;
  /** The SAM did what was asked (90), or found a card (9F), or answered "empty" (91) as a legitimate outcome. */
  readonly ok: boolean;
}

const TABLE: ReadonlyMap<number, readonly [SamStatusCode, string, boolean]> = new Map([
  [0x90, ["success", "success", true]],
  [0x91, ["item_empty", "this item is empty on the card (for example no appended address)", true]],
  [0x9f, ["card_found", "card found", true]],
  [0x10, ["terminal_checksum_error", "the reader received a frame with a bad checksum from this terminal", false]],
  [0x11, ["terminal_length_error", "the reader received a frame with a bad length from this terminal", false]],
  [0x21, ["command_error", "command error: bad value or combination", false]],
  [0x23, ["not_permitted", "operation not permitted", false]],
  [0x24, ["unrecognised_error", "unrecognised error", false]],
  [0x31, ["card_rejected_sam", "the card failed to authenticate the SAM", false]],
  [0x32, ["sam_rejected_card", "the SAM failed to authenticate the card", false]],
  [0x33, ["verification_error", "information verification error", false]],
  [0x40, ["unknown_card_type", "unknown card type", false]],
  [0x41, ["card_read_failed", "card read failed (card moved or removed during the read?)", false]],
  [0x47, ["get_random_failed", "get-random failed", false]],
  [0x60, ["sam_self_test_failed", "SAM self-test failed; it accepts no commands until reset or repaired", false]],
  [0x66, ["sam_not_authorised", "SAM not authorised: the module is not licensed for this reader", false]],
  [0x80, ["no_card", "find card failed: no card on the reader", false]],
  [0x81, ["select_failed", "select card failed", false]],
]);

export function samStatus(sw3: number): SamStatus {
  const known = TABLE.get(sw3);
  if (known === undefined) {
    return { sw3, code: "unknown_status", message: `unknown SAM status 0x${sw3.toString(16).padStart(2, "0")}`, ok: false };
  }
  const [code, message, ok] = known;
  return { sw3, code, message, ok };
}

/** The SW3 byte for a code (used by encoders and the virtual reader). */
export function sw3Of(code: Exclude<SamStatusCode, "unknown_status">): number {
  for (const [sw3, [c]] of TABLE) if (c === code) return sw3;
  throw new RangeError(`no SW3 for ${code}`);
}
