import { ruleB1, ruleB2, ruleB3 } from "./bed-day-rules.js";
import { BoxAvailability } from "./box-availability.js";
import { ruleD1C1, ruleD2, ruleD3, ruleD4, ruleD5, ruleD6 } from "./dialysis-rules.js";
import type { Finding } from "./finding.js";
import { buildIndex } from "./reconcile-index.js";
import type { ReconcileInput } from "./reconcile-input.js";
import type { ReconcileParams } from "./reconcile-params.js";
import type { Rule, RuleContext } from "./rule-context.js";

/** Every rule, each a function of one patient's facts (so it can later re-run for one patient alone). */
export const RULES: readonly Rule[] = [ruleD1C1, ruleD2, ruleD3, ruleD4, ruleD5, ruleD6, ruleB1, ruleB2, ruleB3];

/**
 * Batch reconciliation: billed items against verified events and box timelines. Pure and
 * deterministic: the same facts in any order, with any duplicates, give the same findings, sorted by
 * institution, time, rule and id. Findings with the same id (the same rule and cause) appear once.
 */
export function reconcile(input: ReconcileInput, params: ReconcileParams): Finding[] {
  const index = buildIndex(input.items, input.events);
  const ctx: RuleContext = { params, index, availability: new BoxAvailability(input.statuses ?? []), asOf: params.asOf ?? index.latest };
  const byId = new Map<string, Finding>();
  for (const patient of index.patients) {
    for (const rule of RULES) {
      for (const found of rule(patient, ctx)) if (!byId.has(found.id)) byId.set(found.id, found);
    }
  }
  return [...byId.values()].sort(
    (a, b) => (a.institution < b.institution ? -1 : a.institution > b.institution ? 1 : 0) || a.at - b.at || a.rule.localeCompare(b.rule) || (a.id < b.id ? -1 : 1),
  );
}
