import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AlertCaseDraft } from "../store/alert-case-records.js";
import type { GatewayStore } from "../store/gateway-store.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { createAlertStreamHub, type AlertFrame } from "./alert-stream.js";

const draft = (n: number, site: string): AlertCaseDraft => {
  const id = n.toString(16).padStart(32, "0");
  const body = JSON.stringify({ v: 1, id, kind: "billed_not_verified", rule: "D1", severity: "warning", site, raisedAt: new Date(0).toISOString(), subject: null, evidence: { eventIds: [], boxes: [] }, summary: `alert ${String(n)}` });
  return { id, rule: "D1", kind: "billed_not_verified", severity: "warning", site, patientRef: null, occurredAt: 0, source: "reconcile", body, published: false };
};

let store: GatewayStore;
beforeEach(async () => {
  store = openSqliteStore({ path: ":memory:" });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
});

describe("alert stream hub", () => {
  it("gives a reconnecting subscriber the changes after its Last-Event-ID, then live ones, each once and only of its site", async () => {
    const cases = store.alertCases();
    for (let n = 1; n <= 4; n++) await cases.upsertCase(draft(n, n % 2 === 0 ? "H-A" : "H-B"), n, "rules");
    const hub = createAlertStreamHub(cases);
    await hub.start(60_000);
    const frames: AlertFrame[] = [];
    const fresh: AlertFrame[] = [];
    await hub.subscribe({ site: "H-A", after: 1, send: (f) => frames.push(f) });
    await hub.subscribe({ site: undefined, after: null, send: (f) => fresh.push(f) });
    expect(frames.map((f) => [f.seq, f.alert.summary])).toEqual([[2, "alert 2"], [4, "alert 4"]]);
    await cases.upsertCase(draft(5, "H-B"), 5, "rules");
    await cases.upsertCase(draft(6, "H-A"), 6, "rules");
    hub.nudge();
    hub.nudge();
    await hub.stop();
    expect(frames.map((f) => f.seq)).toEqual([2, 4, 6]);
    expect(fresh.map((f) => [f.seq, f.change, f.alert.state])).toEqual([[5, "raised", "open"], [6, "raised", "open"]]);
  });
});
