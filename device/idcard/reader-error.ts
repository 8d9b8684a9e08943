import type { SamStatusCode } from "./sam-status.js";

/**
 * Why the driver could not do what it was asked. Codes are listed with their meaning in
 * device/idcard/README.md (a test checks the list is complete).
 */
export const READER_ERROR_CODES = [
  "port_open_failed",
  "port_lost",
  "timeout",
  "corrupt_reply",
  "bad_reply",
  "terminal_frame_rejected",
  "sam_failure",
  "select_failed",
  "read_failed",
  "card_rejected",
] as const;
export type ReaderErrorCode = (typeof READER_ERROR_CODES)[number];

export class ReaderError extends Error {
  override readonly name = "ReaderError";

  constructor(
    readonly code: ReaderErrorCode,
    message: string,
    readonly context: Readonly<{ command?: string; sw3?: number; samStatus?: SamStatusCode; frameErrors?: readonly string[]; attempts?: number; port?: string }> = {},
  ) {
    super(message);
  }

  /** Plain form for health reports and JSON output. */
  toJSON(): { code: ReaderErrorCode; message: string; context: ReaderError["context"] } {
    return { code: this.code, message: this.message, context: this.context };
  }
}
