import { StoreError } from "./store-error.js";

/**
 * A schema change, applied once and recorded in `schema_migrations`. Versions count up from 1 with no
 * gaps; a released migration is never edited, only followed by a new one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The migrations still to apply, in order; refuses a database a newer gateway has migrated. */
export function pendingMigrations(known: readonly Migration[], applied: readonly number[]): readonly Migration[] {
  known.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration ${migration.name} has version ${migration.version}, expected ${index + 1}`);
    }
  });
  const newest = known.length;
  const unknown = applied.filter((version) => version > newest);
  if (unknown.length > 0) {
    throw new StoreError(
      "schema_too_new",
      `the database has migrations ${unknown.join(", ")} but this gateway knows only up to ${newest}`,
    );
  }
  const done = new Set(applied);
  return known.filter((migration) => !done.has(migration.version));
}
