import { createHash } from "node:crypto";
import type { AlertKind } from "../../protocol/index.js";

/**
 * A reconciliation finding: what a rule concluded, about whom, from which billed lines and events.
 * Kept as the engine's own type for now; `alertKind` names the protocol alert kind a finding maps onto
 * where one exists (see README.md for the contract change proposed for the rest).
 */
export const RULE_IDS = ["D1", "D2", "D3", "D4", "D5", "D6", "B1", "B2", "B3", "C1"] as const;
export type RuleId = (typeof RULE_IDS)[number];
export type Severity = "info" | "warning" | "critical";

export interface Finding {
  /** findingId(rule, causeIds): the same cause never yields two findings. */
  readonly id: string;
  /** The ids of the facts that caused it (billed lines, events, stays), sorted: what the id hashes. */
  readonly causeIds: readonly string[];
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly institution: string;
  readonly patientRef: string | null;
  /** Masked name from the billing lines, when there are any. */
  readonly patientNameMasked: string | null;
  /** Billed lines involved, as `institution/lineId`. */
  readonly lineIds: readonly string[];
  readonly eventIds: readonly string[];
  readonly boxes: readonly string[];
  /** When the fact behind the finding happened (billed start, check time, bed-day start), ms since epoch. */
  readonly at: number;
  readonly alertKind: AlertKind | null;
  readonly explanation: { readonly zh: string; readonly en: string };
}

/** As protocol alertId: a hash of the rule and the sorted cause ids. */
export function findingId(rule: RuleId, causeIds: readonly string[]): string {
  const cause = [...causeIds].sort().join(",");
  return createHash("sha256").update(`reconcile:${rule}|${cause}`).digest("hex").slice(0, 32);
}
