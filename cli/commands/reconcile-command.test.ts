import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Finding } from "../../gateway/reconcile/finding.js";
import { runCarewitness } from "../cli-process.js";
import { ALICE, BOB, KEY, refOf } from "../../gateway/reconcile/test-fixtures/reconcile-facts.js";

/** `carewitness reconcile` run as an auditor runs it: one process, files in, findings out. */
const fixture = (name: string): string => fileURLToPath(new URL(`../../gateway/reconcile/test-fixtures/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cw-reconcile-"));
const carewitness = runCarewitness;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("carewitness reconcile", () => {
  const keyHex = Buffer.from(KEY).toString("hex");
  const base = ["reconcile", "--billing", fixture("audit-billing.csv"), "--events", fixture("audit-events.jsonl")];

  it("writes one finding per line, reports bad rows and bad event lines, and uses the good ones", async () => {
    const out = join(dir, "alerts.jsonl");
    const result = await carewitness([...base, "--out", out, "--pseudonym-key", keyHex, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      billing: { items: number; rejected: number; rejections: { row: number; code: string; column: string }[] };
      events: { used: number; badLines: { line: number; reason: string }[] };
      findings: { total: number; byRule: Record<string, number> };
    };
    expect(summary.billing).toMatchObject({ items: 4, rejected: 1 });
    expect(summary.billing.rejections).toEqual([expect.objectContaining({ row: 5, code: "invalid_id_checksum", column: "patient_id_number" })]);
    expect(summary.events.used).toBe(5);
    expect(summary.events.badLines.map((b) => b.line)).toEqual([3, 5]);
    expect(summary.events.badLines[1]?.reason).toContain("extra");

    const findings = readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Finding);
    expect(findings.map((f) => [f.rule, f.lineIds, f.patientRef])).toEqual([
      ["D1", ["H50010600123/L000002"], refOf(BOB)],
      ["D2", ["H50010600123/L000003"], refOf(ALICE)],
    ]);
    expect(summary.findings).toEqual(expect.objectContaining({ total: 2, byRule: { D1: 1, D2: 1 } }));
    expect(findings[1]?.explanation.zh).toContain("疑似冒名");
    // Nothing written names a person: no ID numbers, no full names.
    const written = readFileSync(out, "utf8");
    for (const secret of [ALICE, BOB, "王秀英", "李建国"]) expect(written).not.toContain(secret);
  });

  it("prints a readable summary, takes the key from the environment, and refuses to run without one", async () => {
    const out = join(dir, "alerts-2.jsonl");
    const human = await carewitness([...base, "--out", out], { CAREWITNESS_PSEUDONYM_KEY: keyHex });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("row 5 patient_id_number: invalid_id_checksum");
    expect(human.stdout).toContain("audit-events.jsonl:3: not JSON");
    expect(human.stdout).toContain("findings 2");
    const withoutKey = await carewitness([...base, "--out", out], { CAREWITNESS_PSEUDONYM_KEY: "" });
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.stderr).toContain("--pseudonym-key");
  });

  it("reads box status timelines: a session billed while the station's box was offline is unverifiable, not unverified", async () => {
    const out = join(dir, "alerts-status.jsonl");
    const result = await carewitness([...base, "--status", fixture("audit-status.jsonl"), "--out", out, "--pseudonym-key", keyHex, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { events: { statuses: number; badLines: { file: string; line: number }[] }; findings: { byRule: Record<string, number> } };
    expect(summary.events.statuses).toBe(3);
    expect(summary.events.badLines.filter((b) => b.file.endsWith("audit-status.jsonl")).map((b) => b.line)).toEqual([3]);
    expect(summary.findings.byRule).toEqual({ C1: 1, D2: 1 });
    const [c1] = readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Finding);
    expect(c1).toMatchObject({ rule: "C1", lineIds: ["H50010600123/L000002"], boxes: ["chair-box-1"] });
  });

  it("with another key nothing matches: every billed session is unverified", async () => {
    const out = join(dir, "alerts-3.jsonl");
    const result = await carewitness([...base, "--out", out, "--pseudonym-key", "ab".repeat(32), "--json"]);
    const summary = JSON.parse(result.stdout) as { findings: { byRule: Record<string, number> } };
    expect(summary.findings.byRule.D1).toBe(4);
  });
});
