import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditEntryHash, type AuditBody } from "../store/audit-hash.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { verifyAuditChain } from "./audit-chain.js";

/** Tampering with the audit log behind the gateway's back, in the database file itself. */
let dir: string;
let path: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-audit-"));
  path = join(dir, "gateway.db");
  const store = openSqliteStore({ path });
  await store.migrate();
  for (let n = 1; n <= 5; n++) await store.alertCases().appendAudit({ at: 1_764_000_000_000 + n, actor: "supervisor:li", action: "alert.confirm", subject: `alert/${String(n)}`, site: "H1", detail: { n } });
  await store.close();
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function tamper(sql: string): void {
  const db = new Database(path);
  db.exec(sql);
  db.close();
}

async function verify() {
  const store = openSqliteStore({ path });
  try {
    return await verifyAuditChain(store.alertCases(), 2);
  } finally {
    await store.close();
  }
}

describe("audit chain verification", () => {
  it("proves an untouched log intact", async () => {
    expect(await verify()).toMatchObject({ intact: true, entries: 5 });
  });

  it("names an edited entry", async () => {
    tamper(`UPDATE audit_log SET detail = '{"n":99}' WHERE seq = 3`);
    expect(await verify()).toMatchObject({ intact: false, seq: 3, problem: "hash_mismatch", entries: 2 });
  });

  it("names the next link when an entry is rewritten and its own hash recomputed", async () => {
    const db = new Database(path);
    const row = db.prepare("SELECT seq, at, actor, action, subject, site, detail, prev_hash FROM audit_log WHERE seq = 2").get() as AuditBody & { prev_hash: string };
    const forged = { ...row, actor: "admin:someone-else" };
    db.prepare("UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 2").run(forged.actor, auditEntryHash(row.prev_hash, forged));
    db.close();
    expect(await verify()).toMatchObject({ intact: false, seq: 3, problem: "link_mismatch", entries: 2 });
  });

  it("names a deleted entry", async () => {
    tamper("DELETE FROM audit_log WHERE seq = 3");
    expect(await verify()).toMatchObject({ intact: false, seq: 4, problem: "sequence_gap" });
  });

  it("names a deletion hidden by renumbering the rest", async () => {
    tamper("DELETE FROM audit_log WHERE seq = 3; UPDATE audit_log SET seq = seq - 1 WHERE seq > 3");
    expect(await verify()).toMatchObject({ intact: false, seq: 3, problem: "link_mismatch" });
  });

  it("names reordered entries", async () => {
    tamper("UPDATE audit_log SET seq = -2 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = -2");
    expect(await verify()).toMatchObject({ intact: false, seq: 2, problem: "link_mismatch" });
  });
});
