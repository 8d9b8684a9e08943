import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayStore } from "./gateway-store.js";
import { PG_MIGRATIONS } from "./pg-migrations.js";
import { openPgStore } from "./pg-store.js";
import { describeGatewayStoreContract } from "./store-contract.js";
import { StoreError } from "./store-error.js";
import { event, registration } from "./store-fixtures.js";

const PG_URL = process.env.CAREWITNESS_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** One admin connection for creating and dropping the per-test schemas. */
let admin: pg.Client | undefined;

beforeAll(async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    // Fail, do not skip: a green run without PostgreSQL would claim the shared store works untested.
    throw new Error(
      `PostgreSQL is not reachable at ${PG_URL} (set CAREWITNESS_TEST_PG_URL): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  admin = client;
});

afterAll(async () => {
  await admin?.end();
});

function freshSchema(): string {
  return `cw_test_${randomBytes(6).toString("hex")}`;
}

async function dropSchema(schema: string): Promise<void> {
  if (admin === undefined) throw new Error("no admin connection to PostgreSQL");
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

describeGatewayStoreContract(
  "PostgreSQL",
  () => {
    const schema = freshSchema();
    const store = openPgStore({ connectionString: PG_URL, schema });
    const peers: GatewayStore[] = [];
    return Promise.resolve({
      store,
      openPeer: () => {
        const peer = openPgStore({ connectionString: PG_URL, schema });
        peers.push(peer);
        return Promise.resolve(peer);
      },
      cleanup: async () => {
        for (const peer of peers) await peer.close();
        await store.close();
        await dropSchema(schema);
      },
    });
  },
  { concurrentPeers: true },
);

describe("PostgreSQL store", () => {
  it("creates its schema, keeps its tables there and not in public", async () => {
    const schema = freshSchema();
    const store = openPgStore({ connectionString: PG_URL, schema });
    try {
      await store.migrate();
      const tables = await admin?.query<{ table_schema: string }>(
        "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'events' AND table_schema = $1",
        [schema],
      );
      expect(tables?.rows).toEqual([{ table_schema: schema }]);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it("two gateways starting at once apply each migration exactly once", async () => {
    const schema = freshSchema();
    const stores = [1, 2, 3].map(() => openPgStore({ connectionString: PG_URL, schema }));
    try {
      await Promise.all(stores.map((store) => store.migrate()));
      const applied = await admin?.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(applied?.rows.map((row) => row.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    } finally {
      for (const store of stores) await store.close();
      await dropSchema(schema);
    }
  });

  it("refuses to run on a schema a newer gateway migrated", async () => {
    const schema = freshSchema();
    const store = openPgStore({ connectionString: PG_URL, schema });
    try {
      await store.migrate();
      await admin?.query(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES ($1, 'from-the-future', 0)`, [
        PG_MIGRATIONS.length + 1,
      ]);
      await expect(store.migrate()).rejects.toMatchObject({ code: "schema_too_new" });
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it("rejects a schema name that would need quoting", () => {
    expect(() => openPgStore({ connectionString: PG_URL, schema: 'x"; DROP TABLE y; --' })).toThrow(StoreError);
  });

  it("returns BIGINT columns as JavaScript numbers", async () => {
    const schema = freshSchema();
    const store = openPgStore({ connectionString: PG_URL, schema });
    try {
      await store.migrate();
      await store.registerDevice(registration("box-1"));
      const e = event({ n: 1, box: "box-1", seq: 2 ** 40, occurredAt: 4_102_444_800_000 });
      await store.commitBatch({ events: [e], quarantine: [], alerts: [] });
      const stored = await store.getEvent(e.id);
      expect(typeof stored?.seq).toBe("number");
      expect(stored?.seq).toBe(2 ** 40);
      expect(stored?.occurredAt).toBe(4_102_444_800_000);
      expect(await store.countEvents({})).toBe(1);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
