import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { personRef } from "../../protocol/index.js";
import type { GatewayStore } from "../store/gateway-store.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import type { BilledItem } from "./billed-item.js";
import { importBillingIntoStore } from "./billing-store-import.js";

const KEY = createHash("sha256").update("billing store test key").digest();
const GOLDEN = readFileSync(new URL("./test-fixtures/golden-example.csv", import.meta.url));

describe("billing import into the store", () => {
  let store: GatewayStore;

  beforeEach(async () => {
    store = openSqliteStore({ path: ":memory:" });
    await store.migrate();
  });

  afterEach(async () => {
    await store.close();
  });

  it("lands the lines once: importing the same file twice changes nothing", async () => {
    const first = await importBillingIntoStore([GOLDEN], store, { pseudonymKey: KEY, batchSize: 1 });
    expect(first).toMatchObject({ encoding: "utf-8", stored: 2, duplicates: 0, conflicts: 0, rejected: 0 });
    const before = await store.queryBilledItems({}, { limit: 10 });
    const second = await importBillingIntoStore([GOLDEN], store, { pseudonymKey: KEY });
    expect(second).toMatchObject({ stored: 0, duplicates: 2, rejected: 0 });
    expect(await store.queryBilledItems({}, { limit: 10 })).toEqual(before);
    const [line] = (await store.queryBilledItems({ patientRef: personRef("11010519491231002X", KEY) }, { limit: 10 })).items;
    expect(line).toMatchObject({ id: "H50010600123/L000001", category: "haemodialysis", serviceAt: Date.parse("2026-11-23T23:30:00Z") });
    expect((JSON.parse(line?.body ?? "{}") as BilledItem).patientNameMasked).toBe("王*英");
    expect(JSON.stringify(before)).not.toContain("11010519491231002X");
  });

  it("keeps the stored line when a later file changes it, and reports the row", async () => {
    await importBillingIntoStore([GOLDEN], store, { pseudonymKey: KEY });
    const changed = GOLDEN.toString("utf8").replace("2026-11-24 11:35", "2026-11-24 11:50");
    const result = await importBillingIntoStore([changed], store, { pseudonymKey: KEY });
    expect(result).toMatchObject({ stored: 0, duplicates: 1, conflicts: 1, rejected: 1 });
    expect(result.rejections).toEqual([expect.objectContaining({ code: "duplicate_line_conflict", row: 2, lineId: "L000001" })]);
  });

  it("confines an import to one institution when asked, and lists rejections up to a cap", async () => {
    const other = GOLDEN.toString("utf8").replace("H50010600123,S2026112400018", "H45012400011,S2026112400018");
    const result = await importBillingIntoStore([other], store, { pseudonymKey: KEY, institution: "H50010600123", maxRejectionsListed: 0 });
    expect(result).toMatchObject({ stored: 1, rejected: 1, rejections: [] });
  });
});
