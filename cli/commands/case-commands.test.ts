import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideAction, type AlertAction } from "../../gateway/alerts/alert-lifecycle.js";
import type { ConfirmedRecordView } from "../../gateway/alerts/confirmed-record.js";
import { openSqliteStore } from "../../gateway/store/sqlite-store.js";
import { runCarewitness } from "../cli-process.js";

/**
 * `carewitness cases record` as a supervisor's office runs it on a gateway's SQLite file: H1 has a
 * D2 confirmed in March (its card watched), a W1 of the same card confirmed and closed in April, a
 * D1 dismissed; H2 has one confirmed D1.
 */
const dir = mkdtempSync(join(tmpdir(), "cw-cases-cli-"));
const db = join(dir, "gateway.db");
const CARD = "c".repeat(64);
const id = (n: number): string => n.toString(16).padStart(32, "0");

beforeAll(async () => {
  const store = openSqliteStore({ path: db });
  await store.migrate();
  const cases = store.alertCases();
  const raise = async (n: number, site: string, rule: string, kind: "impersonation_suspected" | "watchlisted_card_presented" | "billed_not_verified", occurred: string, actions: AlertAction[], note: string | null) => {
    const occurredAt = Date.parse(occurred);
    const body = JSON.stringify({ v: 1, id: id(n), kind, rule, severity: "critical", site, raisedAt: occurred, subject: { ref: CARD, masked: "1101**********002X" }, patientNameMasked: "王*英", evidence: { eventIds: [], boxes: [] }, summary: "s" });
    await cases.upsertCase({ id: id(n), rule, kind, severity: "critical", site, patientRef: CARD, occurredAt, source: "ingest", body, published: true }, occurredAt, "ingest");
    for (const [i, action] of actions.entries()) {
      const input = { action, reason: action === "dismiss" ? "camera glare" : null, note: action === "confirm" ? note : action === "dismiss" ? "lamp" : null };
      await cases.transition({ id: id(n), action, actor: "supervisor:chen", reason: input.reason, note: input.note, at: occurredAt + (i + 1) * 60_000, decide: (c) => decideAction(c, input) });
    }
  };
  await raise(1, "H1", "D2", "impersonation_suspected", "2026-03-31T23:50:00+08:00", ["acknowledge", "confirm"], "录像显示非本人");
  await raise(2, "H1", "W1", "watchlisted_card_presented", "2026-04-02T08:00:00+08:00", ["acknowledge", "confirm", "close"], "=cmd|' /C calc'!A0");
  await raise(3, "H1", "D1", "billed_not_verified", "2026-04-03T08:00:00+08:00", ["acknowledge", "dismiss"], null);
  await raise(4, "H2", "D1", "billed_not_verified", "2026-04-03T08:00:00+08:00", ["acknowledge", "confirm"], null);
  await cases.addToWatchList([{ cardRef: CARD, site: "H1", faceTemplateId: null, alertId: id(1), addedBy: "supervisor:chen", addedAt: 0 }], { at: 0, actor: "supervisor:chen", action: "watch_list.added", subject: `alert/${id(1)}`, site: "H1", detail: {} });
  await store.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("carewitness cases record", () => {
  it("prints the record for a person: totals, counts by rule and CST month, the repeat patient, one line per case", async () => {
    const result = await runCarewitness(["cases", "record", "--site", "H1", "--sqlite", db]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Confirmed cases at H1 (all time): 2 cases of 1 patient (1 with more than one), 2 with the card on the watch list");
    expect(lines).toContain("By rule: D2 1, W1 1");
    expect(lines).toContain("By month (CST, when it occurred): 2026-03 1, 2026-04 1");
    expect(lines).toContain(`  ${CARD.slice(0, 12)}… 王*英 1101**********002X: 2 (D2, W1)`);
    expect(lines.filter((l) => l.includes("— confirmed"))).toEqual([
      `  2026-03-31 23:50 D2 ${id(1)} 王*英 1101**********002X — confirmed 2026-03-31 23:52 by supervisor:chen: "录像显示非本人" [confirmed, card watched] /api/v1/alerts/${id(1)}/evidence`,
      `  2026-04-02 08:00 W1 ${id(2)} 王*英 1101**********002X — confirmed 2026-04-02 08:02 by supervisor:chen: "=cmd|' /C calc'!A0" [closed, card watched] /api/v1/alerts/${id(2)}/evidence`,
    ]);
  });

  it("gives JSON bounded by --from and --to, and another institution's record apart", async () => {
    const april = await runCarewitness(["cases", "record", "--site", "H1", "--sqlite", db, "--format", "json", "--from", "2026-04-01T00:00:00+08:00", "--to", "2026-05-01T00:00:00+08:00"]);
    expect(april.code, april.stderr).toBe(0);
    const view = JSON.parse(april.stdout) as ConfirmedRecordView;
    expect(view.cases.map((c) => [c.alertId, c.state, c.confirmationNote])).toEqual([[id(2), "closed", "=cmd|' /C calc'!A0"]]);
    expect(view.from).toBe("2026-03-31T16:00:00.000Z");
    const other = JSON.parse((await runCarewitness(["cases", "record", "--site", "H2", "--sqlite", db, "--format", "json"])).stdout) as ConfirmedRecordView;
    expect(other.cases.map((c) => c.alertId)).toEqual([id(4)]);
  });

  it("writes the CSV to --out with a BOM and inert formula cells, and refuses a time it cannot read", async () => {
    const out = join(dir, "h1.csv");
    const result = await runCarewitness(["cases", "record", "--site", "H1", "--sqlite", db, "--format", "csv", "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${out}: 2 confirmed cases of H1 (csv)\n`);
    const csv = readFileSync(out, "utf8");
    expect(csv.startsWith("\uFEFFalert_id,")).toBe(true);
    expect(csv).toContain(`,'=cmd|' /C calc'!A0,closed,yes,`);
    expect(csv.split("\r\n")).toHaveLength(4);
    const bad = await runCarewitness(["cases", "record", "--site", "H1", "--sqlite", db, "--from", "last Tuesday"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--from: an RFC 3339 time");
  });
});
