import { describe, expect, it } from "vitest";
import type { AlertCase } from "../store/alert-case-records.js";
import { billedItem, registration } from "../store/store-fixtures.js";
import type { Device } from "../store/gateway-store.js";
import { coverage, rulePrecision, weekOf } from "./alert-metrics.js";

const at = (text: string): number => Date.parse(text);

function alertOn(rule: string, lineIds: string[], state: AlertCase["state"] = "open"): AlertCase {
  const body = JSON.stringify({ v: 1, id: "0".repeat(32), kind: "billed_not_verified", rule, severity: "warning", site: "H50010600123", raisedAt: "2026-11-24T00:00:00Z", subject: null, evidence: { eventIds: [], boxes: [], billingLineIds: lineIds }, summary: "s" });
  return { id: "0".repeat(32), rule, kind: "billed_not_verified", severity: "warning", site: "H50010600123", patientRef: null, occurredAt: at("2026-11-24T07:30:00+08:00"), raisedAt: 0, state, stateChangedAt: 0, source: "reconcile", body, resolution: null, publishedAt: null };
}

describe("alert metrics", () => {
  it("weeks run Monday to Sunday in China Standard Time", () => {
    expect(weekOf(at("2026-11-23T00:30:00+08:00"))).toBe("2026-11-23"); // Monday, still Sunday in UTC
    expect(weekOf(at("2026-11-22T23:30:00+08:00"))).toBe("2026-11-16");
    expect(weekOf(at("2026-11-29T23:59:00+08:00"))).toBe("2026-11-23");
  });

  it("precision is confirmed over reviewed, and unknown before any review", () => {
    expect(rulePrecision([
      { rule: "D1", site: "H1", state: "confirmed", count: 3 },
      { rule: "D1", site: "H1", state: "dismissed", count: 1 },
      { rule: "C1", site: "H1", state: "dismissed", count: 2 },
    ])).toEqual([
      { rule: "D1", site: "H1", confirmed: 3, dismissed: 1, reviewed: 4, precision: 0.75 },
      { rule: "C1", site: "H1", confirmed: 0, dismissed: 2, reviewed: 2, precision: 0 },
    ]);
    expect(rulePrecision([])).toEqual([]);
  });

  it("coverage counts a billed session verified unless an open D1, D2 or C1 names it; C1 is unverifiable, a dismissal counts as verified", () => {
    const monday = at("2026-11-24T07:30:00+08:00");
    const lines = [1, 2, 3, 4].map((n) => billedItem({ n, serviceAt: monday + n * 3_600_000 }));
    const ids = lines.map((l) => l.id);
    const devices: Device[] = [
      { ...registration("b1"), enabled: true, registeredAt: 0, state: "online", stateChangedAt: 0, lastStatus: null },
      { ...registration("b2"), enabled: true, registeredAt: 0, state: "offline", stateChangedAt: 0, lastStatus: null },
    ];
    const timelines = [
      { box: "b1", points: [{ state: "online" as const, at: at("2026-11-20T08:00:00+08:00") }] }, // online since the week before
      { box: "b2", points: [{ state: "online" as const, at: at("2026-11-20T08:00:00+08:00") }, { state: "offline" as const, at: at("2026-11-21T08:00:00+08:00") }] }, // gone before the week
      { box: "b3", points: [{ state: "online" as const, at: at("2026-11-29T23:00:00+08:00") }] }, // came on the last evening
    ];
    const result = coverage("H50010600123", lines, [alertOn("D1", [ids[0] ?? ""]), alertOn("C1", [ids[1] ?? ""]), alertOn("D1", [ids[2] ?? ""], "dismissed"), alertOn("D5", [ids[3] ?? ""])], devices, timelines);
    expect(result.weeks).toEqual([{ week: "2026-11-23", billedSessions: 4, verifiedSessions: 2, unverifiableSessions: 1, verifiedShare: 0.5, alertsByRule: { D1: 2, C1: 1, D5: 1 }, boxesOnline: 2 }]);
    expect(result.boxes).toEqual({ total: 2, online: 1, offline: 1, unknown: 0 });
  });
});
