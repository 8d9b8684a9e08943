import { describe, expect, it } from "vitest";
import { collectBillingImport } from "../gateway/billing/billing-import.js";
import { findingId, type RuleId } from "../gateway/reconcile/finding.js";
import { reconcile } from "../gateway/reconcile/reconcile.js";
import { checkEventOf } from "../gateway/reconcile/reconcile-input.js";
import { ReconcileParams } from "../gateway/reconcile/reconcile-params.js";
import { EventMessage } from "../protocol/index.js";
import { BILLING_HEADER, planBilling } from "../simulator/billing/billing-plan.js";
import { planFleet, planTraffic } from "../simulator/fleet/index.js";

/**
 * The simulator's billing and its ground truth (simulator/billing) against the real billing import
 * and rule engine: the billing imports without a rejection, every planted fraud is found and nothing
 * else is; `npm run bench:reconcile` measures recall and precision per rule on a larger scenario.
 */
const END_AT = Date.parse("2026-11-23T00:00:00+08:00");
const fleet = planFleet({ seed: "billing-truth-test", sites: 3, stationsPerSite: 6, wardsPerSite: 1 });
const messages = planTraffic(fleet, { days: 14, endAt: END_AT, badShare: 0 });

describe("simulated billing with planted fraud", () => {
  it("bills every checked-in session once, plants phantom and double-billed sessions, and is the same for the same seed", () => {
    const plan = planBilling(fleet, messages, { asOf: END_AT, phantomShare: 0.2, doubleBillingShare: 0.2 });
    const again = planBilling(fleet, messages, { asOf: END_AT, phantomShare: 0.2, doubleBillingShare: 0.2 });
    expect(again).toEqual(plan);
    expect(plan.csvLines[0]).toBe(BILLING_HEADER);
    expect(plan.counts.sessions).toBeGreaterThan(100);
    expect(plan.counts.phantoms).toBeGreaterThan(0);
    expect(plan.counts.doubleBilled).toBeGreaterThan(0);
    expect(plan.counts.billedLines).toBe(plan.counts.sessions + plan.counts.phantoms + plan.counts.doubleBilled);
    expect(plan.csvLines).toHaveLength(plan.counts.billedLines + 1);
    const whys = new Set(plan.expected.map((e) => `${e.rule}/${e.why}`));
    for (const planted of ["D1/phantom_session", "D4/double_billing", "D1/double_billing", "D5/too_many_sessions", "D2/impersonation"]) expect(whys).toContain(planted);
    // No plain session of a normal three-a-week schedule is a D5: only the planted extra ones are.
    expect(plan.expected.filter((e) => e.rule === "D5").length).toBeLessThan(3 * (plan.counts.phantoms + plan.counts.doubleBilled) + 1);
  });

  it("imports without a rejection, and the rule engine finds every planted fraud and nothing else", async () => {
    const plan = planBilling(fleet, messages, { asOf: END_AT });
    const imported = await collectBillingImport([Buffer.from(`${plan.csvLines.join("\n")}\n`)], { pseudonymKey: fleet.pseudonymKey });
    expect(imported.rejections).toEqual([]);
    expect(imported.items).toHaveLength(plan.counts.billedLines);
    const events = messages.filter((m) => m.truth.type === "valid").map((m) => checkEventOf(EventMessage.parse(JSON.parse(m.payload.toString("utf8")))));
    const findings = reconcile({ items: imported.items, events }, ReconcileParams.parse({ asOf: END_AT }));
    const found = new Set(findings.map((f) => f.id));
    const missed = plan.expected.filter((e) => !found.has(findingId(e.rule as RuleId, e.causes)));
    expect(missed).toEqual([]);
    // …and nothing else: a normal Monday/Wednesday/Friday patient is not "too frequent", an honest
    // session is not "unverified".
    const planted = new Set(plan.expected.map((e) => findingId(e.rule as RuleId, e.causes)));
    expect(findings.filter((f) => !planted.has(f.id)).map((f) => `${f.rule}: ${f.explanation.en}`)).toEqual([]);
  });
});
