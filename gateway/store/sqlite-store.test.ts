import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertListing, eventListing, pageSql, quarantineListing, SQLITE_PLACEHOLDER, type SqlText } from "./filter-sql.js";
import type { GatewayStore } from "./gateway-store.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";
import { openSqliteStore } from "./sqlite-store.js";
import { describeGatewayStoreContract } from "./store-contract.js";
import { event, registration } from "./store-fixtures.js";

describeGatewayStoreContract("SQLite :memory:", () => {
  const store = openSqliteStore({ path: ":memory:" });
  return Promise.resolve({ store, cleanup: () => store.close() });
});

describeGatewayStoreContract(
  "SQLite file",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "cw-store-"));
    const path = join(dir, "gateway.db");
    const store = openSqliteStore({ path });
    const peers: GatewayStore[] = [];
    return Promise.resolve({
      store,
      openPeer: () => {
        const peer = openSqliteStore({ path });
        peers.push(peer);
        return Promise.resolve(peer);
      },
      cleanup: async () => {
        for (const peer of peers) await peer.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
  { concurrentPeers: true },
);

describe("SQLite store on disk", () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cw-store-"));
    path = join(dir, "gateway.db");
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("uses WAL with synchronous NORMAL, a busy timeout and foreign keys", async () => {
    const store = openSqliteStore({ path, busyTimeoutMs: 1234 });
    await store.migrate();
    await store.close();
    // journal_mode is persistent in the file; the others are per connection, so check a store's own.
    const db = new Database(path);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();

    const checked = openSqliteStore({ path, busyTimeoutMs: 1234 });
    await checked.migrate();
    await checked.registerDevice(registration("box-1"));
    // Foreign keys on: an event for a box that is not registered cannot be stored.
    await expect(
      checked.commitBatch({ events: [event({ n: 1, box: "box-404", seq: 1 })], quarantine: [], alerts: [] }),
    ).rejects.toThrow(/FOREIGN KEY/);
    await checked.close();
  });

  it("records each migration once and keeps data across reopening", async () => {
    const first = openSqliteStore({ path });
    await first.migrate();
    await first.registerDevice(registration("box-1"));
    await first.close();

    const second = openSqliteStore({ path });
    await second.migrate();
    expect((await second.getDevice("box-1"))?.box).toBe("box-1");
    await second.close();

    const db = new Database(path, { readonly: true });
    const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
    db.close();
    expect(versions).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
  });

  it("refuses to run on a database a newer gateway migrated", async () => {
    const store = openSqliteStore({ path });
    await store.migrate();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from-the-future', 0)").run(
      SQLITE_MIGRATIONS.length + 1,
    );
    db.close();
    await expect(store.migrate()).rejects.toMatchObject({ code: "schema_too_new" });
    await store.close();
  });
});

describe("SQLite listing queries", () => {
  const db = new Database(":memory:");
  for (const migration of SQLITE_MIGRATIONS) db.exec(migration.sql);
  afterAll(() => {
    db.close();
  });
  const planOf = (sql: SqlText) =>
    db
      .prepare(`EXPLAIN QUERY PLAN ${sql.text}`)
      .all(...sql.values)
      .map((row) => (row as { detail: string }).detail)
      .join(" | ");
  const after = { at: 1_700_000_000_000, id: "x" };
  const listings = [
    eventListing({}),
    eventListing({ site: "site-a", from: 1, to: 2 }),
    eventListing({ box: "box-1" }),
    eventListing({ subjectRef: "a".repeat(64) }),
    eventListing({ kind: "dialysis.check_in", outcome: "verified" }),
    quarantineListing({}),
    quarantineListing({ site: "site-a" }),
    quarantineListing({ box: "box-1" }),
    quarantineListing({ reason: "invalid_json" }),
    alertListing({}),
    alertListing({ site: "site-a" }),
  ];

  it.each(listings.map((listing) => [JSON.stringify(listing.conditions.filter((c) => c[2] !== undefined)), listing] as const))(
    "%s reads its page from an index, in order, without sorting the table",
    (_, listing) => {
      const plan = planOf(pageSql(listing, after, 50, SQLITE_PLACEHOLDER));
      expect(plan).toMatch(/USING (COVERING )?INDEX/);
      expect(plan).not.toContain("TEMP B-TREE");
    },
  );
});
