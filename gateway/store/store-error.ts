/**
 * Errors a store raises for requests it cannot serve. Bad input from an API client (a tampered
 * cursor, a zero page size) is the caller's to turn into a 400; a database that a newer gateway has
 * migrated is an operator's to fix. Anything else a store throws is a bug or an outage.
 */
export type StoreErrorCode = "invalid_cursor" | "invalid_limit" | "invalid_schema_name" | "schema_too_new";

/** What each code means; kept next to the union so a test can check every code is documented. */
export const STORE_ERROR_DOCS: Record<StoreErrorCode, string> = {
  invalid_cursor: "A page cursor that this store did not issue (or that was altered).",
  invalid_limit: "A page size or limit that is not a positive integer.",
  invalid_schema_name: "A PostgreSQL schema name outside [a-z_][a-z0-9_]{0,62}.",
  schema_too_new: "The database holds migrations this gateway does not know: a newer gateway migrated it.",
};

export class StoreError extends Error {
  override readonly name = "StoreError";

  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
