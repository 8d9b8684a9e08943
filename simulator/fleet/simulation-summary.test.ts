import { describe, expect, it } from "vitest";
import { SKIPPED_REGISTRATION } from "./device-registration.js";
import { planFleet } from "./fleet-plan.js";
import { emptyAckCounts, formatSimulationSummary, plannedCounts, type SimulationSummary } from "./simulation-summary.js";
import { planTraffic } from "./traffic-plan.js";

const plan = planTraffic(planFleet({ seed: "summary", sites: 1, stationsPerSite: 2, wardsPerSite: 1, bedsPerWard: 8 }), {
  endAt: "2026-11-25T12:00:00+08:00",
  days: 2,
  badShare: 0.2,
});

function summary(overrides: Partial<SimulationSummary>): SimulationSummary {
  return {
    seed: "summary",
    endAt: "2026-11-25T12:00:00.000+08:00",
    days: 2,
    sites: 1,
    boxes: 3,
    connections: 3,
    planned: plannedCounts(plan),
    registration: SKIPPED_REGISTRATION,
    published: { publications: 0, republications: 0, defectsSent: 0, defectsHeld: 0, publishErrors: 0 },
    acks: { valid: emptyAckCounts(), defects: emptyAckCounts(), defectsByReason: {}, repeated: 0, wrongHash: 0, unmatched: 0, invalidAckMessages: 0 },
    defectsUnacked: 0,
    mismatches: [],
    unacked: [],
    stoppedBy: "complete",
    elapsedMs: 1234,
    ...overrides,
  };
}

describe("plannedCounts and formatSimulationSummary", () => {
  it("count every planned message once, by kind, outcome and reason", () => {
    const counts = plannedCounts(plan);
    expect(counts.valid + counts.defects).toBe(plan.length);
    expect(Object.values(counts.validByKind).reduce((a, b) => a + b)).toBe(counts.valid);
    expect(Object.values(counts.validByOutcome).reduce((a, b) => a + b)).toBe(counts.valid);
    expect(Object.values(counts.defectsByReason).reduce((a, b) => a + b)).toBe(counts.defects);
  });

  it("say whether the run completed, and list unacked events and mismatches when there are some", () => {
    const done = formatSimulationSummary(summary({}));
    expect(done).toContain(`complete: all ${plannedCounts(plan).valid} valid events acked in 1.2 s`);
    expect(done).toMatch(/ward\.bedside_check\s+\d+/);
    expect(done).not.toContain("Unacked valid events");
    const late = formatSimulationSummary(
      summary({
        stoppedBy: "deadline",
        unacked: ["01a20000-0000-7000-8000-000000000001"],
        mismatches: [{ id: "01a20000-0000-7000-8000-000000000002", box: "B1", expected: "wrong_key", got: "stored" }],
      }),
    );
    expect(late).toContain("deadline reached: 1 of");
    expect(late).toContain("Unacked valid events: 1\n  01a20000-0000-7000-8000-000000000001");
    expect(late).toContain("B1 01a20000-0000-7000-8000-000000000002: expected wrong_key, got stored");
  });
});
