import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import iconv from "iconv-lite";
import { afterAll, describe, expect, it } from "vitest";
import { openGatewayStore } from "../../gateway/open-store.js";
import { runCarewitness, type CliResult } from "../cli-process.js";

/** `carewitness billing import` as a hospital's IT runs it: a process per import, one SQLite file. */
const GOLDEN = fileURLToPath(new URL("../../gateway/billing/test-fixtures/golden-example.csv", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cw-billing-"));
const db = join(dir, "gateway.db");
const KEY = "cd".repeat(32);

function importFile(file: string, ...args: string[]): Promise<CliResult> {
  return runCarewitness(["billing", "import", file, "--sqlite", db, "--pseudonym-key", KEY, ...args]);
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("carewitness billing import", () => {
  it("stores a file once, reports a second import as duplicates, and names bad rows", async () => {
    const first = await importFile(GOLDEN, "--json");
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ encoding: "utf-8", stored: 2, duplicates: 0, rejected: 0 });
    const again = await importFile(GOLDEN, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ stored: 0, duplicates: 2 });

    const gbk = join(dir, "gbk.csv");
    writeFileSync(gbk, iconv.encode("定点医药机构编码,结算ID,费用明细流水号,证件号码,姓名,就诊类型,医疗服务项目编码,服务开始时间,数量,金额\nH50010600123,S9,L9,110105194912310012,张三,门诊,311000006,2026-11-25 07:30,1,400.00\nH50010600123,S9,L10,110105194912310011,张三,门诊,311000006,2026-11-25 07:30,1,400.00\n", "gb18030"));
    const human = await importFile(gbk);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("(gb18030): 1 stored, 0 duplicates, 1 rejected");
    expect(human.stdout).toContain("row 2 patient_id_number: invalid_id_checksum");

    // Each import is in the audit chain, with its counts and who ran it, and the chain verifies.
    const store = await openGatewayStore({ kind: "sqlite", path: db });
    try {
      const entries = (await store.alertCases().auditEntries(0, 100)).filter((e) => e.action === "billing.imported");
      expect(entries.map((e) => [e.subject, e.actor.startsWith("cli:")])).toEqual([
        ["golden-example.csv", true],
        ["golden-example.csv", true],
        ["gbk.csv", true],
      ]);
    } finally {
      await store.close();
    }
    const verified = await runCarewitness(["audit", "verify", "--sqlite", db]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });
});
