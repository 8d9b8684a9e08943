import { describe, expect, it } from "vitest";
import { pendingMigrations, type Migration } from "./migration.js";
import { PG_MIGRATIONS } from "./pg-migrations.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";
import { StoreError } from "./store-error.js";

const three: Migration[] = [1, 2, 3].map((version) => ({ version, name: `m${version}`, sql: "" }));

describe("versioned migrations", () => {
  it("applies what is missing, in order", () => {
    expect(pendingMigrations(three, []).map((m) => m.version)).toEqual([1, 2, 3]);
    expect(pendingMigrations(three, [1]).map((m) => m.version)).toEqual([2, 3]);
    expect(pendingMigrations(three, [1, 2, 3])).toEqual([]);
  });

  it("refuses a database that a newer gateway migrated", () => {
    expect(() => pendingMigrations(three, [1, 2, 3, 4])).toThrow(StoreError);
  });

  it("refuses a list with a gap, so a missing migration cannot go unnoticed", () => {
    expect(() => pendingMigrations([three[0], three[2]].filter((m) => m !== undefined), [])).toThrow(/expected 2/);
  });

  it("keeps both stores' lists at the same version", () => {
    expect(pendingMigrations(SQLITE_MIGRATIONS, []).length).toBe(SQLITE_MIGRATIONS.length);
    expect(pendingMigrations(PG_MIGRATIONS, []).length).toBe(PG_MIGRATIONS.length);
    expect(SQLITE_MIGRATIONS.map((m) => m.name)).toEqual(PG_MIGRATIONS.map((m) => m.name));
  });
});
