/** Errors of the box's outbox, with a code from a closed set and the context to act on it. */
export const OUTBOX_ERROR_CODES = ["payload_too_large", "duplicate_event_id", "schema_too_new"] as const;
export type OutboxErrorCode = (typeof OUTBOX_ERROR_CODES)[number];

export class OutboxError extends Error {
  constructor(
    readonly code: OutboxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "OutboxError";
  }
}
