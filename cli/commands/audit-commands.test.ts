import Database from "better-sqlite3";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signBundle, evidenceKeyOf } from "../../gateway/alerts/evidence-bundle.js";
import { openSqliteStore } from "../../gateway/store/sqlite-store.js";
import { generateBoxKeyPair } from "../../protocol/index.js";
import { runCarewitness } from "../cli-process.js";

/** `carewitness audit verify` and `verify-bundle` as an auditor runs them, on a gateway's SQLite file. */
const dir = mkdtempSync(join(tmpdir(), "cw-audit-cli-"));
const db = join(dir, "gateway.db");

beforeAll(async () => {
  const store = openSqliteStore({ path: db });
  await store.migrate();
  for (let n = 1; n <= 3; n++) await store.alertCases().appendAudit({ at: 1_764_000_000_000 + n, actor: "ops", action: "device.registered", subject: `box/${String(n)}`, site: null, detail: { n } });
  await store.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("carewitness audit", () => {
  it("verify proves the chain intact, then names the first broken link and exits 1", async () => {
    const intact = await runCarewitness(["audit", "verify", "--sqlite", db]);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/^audit log intact: 3 entries, head [0-9a-f]{64}\n$/);
    const tampered = new Database(db);
    tampered.exec(`UPDATE audit_log SET subject = 'box/other' WHERE seq = 2`);
    tampered.close();
    const broken = await runCarewitness(["audit", "verify", "--sqlite", db, "--json"]);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ intact: false, seq: 2, problem: "hash_mismatch", entries: 1 });
  });

  it("verify-bundle accepts a signed bundle and refuses it once changed", async () => {
    const key = evidenceKeyOf(generateBoxKeyPair().privateKey);
    const signed = signBundle({ format: "carewitness-evidence-v1", alert: { id: "a" }, billingLines: [{ amountFen: 40000 }] }, key);
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify(signed));
    const ok = await runCarewitness(["audit", "verify-bundle", good, "--public-key", key.publicKey]);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...signed, bundle: { ...signed.bundle, billingLines: [{ amountFen: 4000 }] } }));
    const refused = await runCarewitness(["audit", "verify-bundle", bad]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("the file was changed");
  });
});
