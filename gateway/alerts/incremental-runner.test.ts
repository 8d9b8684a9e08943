import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertId } from "../../protocol/index.js";
import { eventMessage, item } from "../reconcile/test-fixtures/reconcile-facts.js";
import type { AlertCase } from "../store/alert-case-records.js";
import { createAlertDesk } from "./alert-desk.js";
import { verifyAuditChain } from "./audit-chain.js";
import { alertScenario, type AlertScenario } from "./test-fixtures/alert-scenario.js";

const HOUR = 3_600_000;
/** A billed 07:30 CST session on 24 Nov and what the box saw of it. */
const session = item({ line: "L1", start: "2026-11-24 07:30", end: "2026-11-24 11:35" });
const checkIn = () => eventMessage({ at: "2026-11-24T07:20:00+08:00" });

let s: AlertScenario;
beforeEach(async () => {
  s = await alertScenario();
});
afterEach(async () => {
  await s.close();
});

async function cases(): Promise<AlertCase[]> {
  return [...(await s.store.alertCases().queryCases({}, { limit: 100 })).items];
}

describe("incremental rule runner", () => {
  it("raises D1 for a billed session without a check-in, and a late verified check-in resolves it with the reason", async () => {
    await s.bill(session);
    await s.pass();
    const [d1, ...rest] = await cases();
    expect(rest).toEqual([]);
    expect(d1).toMatchObject({ rule: "D1", state: "open", source: "reconcile", site: "H50010600123" });

    // The check-in sat in the box's outbox for hours and arrives late, with its check-out.
    s.clock.now += 3 * HOUR;
    const lateIn = checkIn();
    await s.receive(lateIn, eventMessage({ kind: "dialysis.check_out", at: "2026-11-24T11:40:00+08:00", checkInId: lateIn.id }));
    await s.pass();
    const resolved = await s.store.alertCases().getCase(d1?.id ?? "");
    expect(resolved?.state).toBe("auto_resolved");
    const reason = JSON.parse(resolved?.resolution ?? "{}") as { zh: string; en: string };
    expect(reason.en).toContain(lateIn.id);
    expect(reason.en).toContain("dialysis.check_in (verified");
    expect(reason.zh).toContain("后到的数据");
    const history = await s.store.alertCases().transitionsOf(d1?.id ?? "");
    expect(history.map((t) => t.to)).toEqual(["open", "auto_resolved"]);
    expect(await verifyAuditChain(s.store.alertCases())).toMatchObject({ intact: true });
  });

  it("never raises an alert twice: repeated passes, re-imported lines and re-delivered events change nothing", async () => {
    await s.bill(session, item({ line: "L2", start: "2026-11-24 09:00", end: "2026-11-24 13:00" }));
    await s.pass();
    const first = await cases();
    expect(first.map((c) => c.rule).sort()).toEqual(["D1", "D1", "D4"]);
    await s.bill(session);
    await s.pass();
    await s.pass(10 * HOUR);
    const again = await cases();
    expect(again.map((c) => c.id).sort()).toEqual(first.map((c) => c.id).sort());
    const raised = (await s.store.alertCases().changesAfter(0, 100)).filter((c) => c.change === "raised");
    expect(raised).toHaveLength(3);
  });

  it("D2: the alert ingest raised at once is the one billing later enriches, not a second alert", async () => {
    const mismatch = eventMessage({ at: "2026-11-24T07:25:00+08:00", outcome: "face_mismatch" });
    await s.receive(mismatch);
    await s.pass();
    const [live, ...none] = await cases();
    expect(none).toEqual([]);
    expect(live).toMatchObject({ id: alertId("impersonation_suspected", [mismatch.id]), rule: "D2", source: "ingest" });

    s.clock.now += 24 * HOUR;
    await s.bill(session);
    await s.pass();
    const [enriched, ...still] = await cases();
    expect(still).toEqual([]);
    expect(enriched?.id).toBe(live?.id);
    const body = JSON.parse(enriched?.body ?? "{}") as { evidence: { billingLineIds: string[] }; explanation: { zh: string }; raisedAt: string };
    expect(body.evidence.billingLineIds).toEqual(["H50010600123/L1"]);
    expect(body.explanation.zh).toContain("疑似冒名");
    expect(Date.parse(body.raisedAt)).toBe(live?.raisedAt);
  });

  it("leaves an alert a supervisor has reviewed alone when late data would have explained it", async () => {
    await s.bill(session);
    await s.pass();
    const [d1] = await cases();
    const desk = createAlertDesk({ store: s.store, now: () => s.clock.now });
    await desk.act(d1?.id ?? "", { action: "acknowledge", reason: null, note: null }, "supervisor:li");
    await desk.act(d1?.id ?? "", { action: "confirm", reason: null, note: "called the ward" }, "supervisor:li");
    s.clock.now += HOUR;
    await s.receive(checkIn());
    await s.pass();
    expect((await s.store.alertCases().getCase(d1?.id ?? ""))?.state).toBe("confirmed");
  });

  it("D3: a verified check-in without a check-out is raised once the session's maximum has passed, with no new data", async () => {
    s.clock.now = Date.parse("2026-11-24T08:00:00+08:00");
    await s.receive(checkIn());
    await s.pass();
    expect(await cases()).toEqual([]);
    await s.pass(8 * HOUR);
    expect((await cases()).map((c) => c.rule)).toEqual(["D3"]);
  });
});
