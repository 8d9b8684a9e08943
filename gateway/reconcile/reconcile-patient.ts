import type { Finding } from "./finding.js";
import { reconcile } from "./reconcile.js";
import type { ReconcileInput } from "./reconcile-input.js";
import type { ReconcileParams } from "./reconcile-params.js";

/**
 * Incremental evaluation for one patient: every rule is a function of one patient's facts, so a late
 * row or event is handled by re-running the rules over that patient's facts alone (read from the
 * store by the caller, gateway/alerts/incremental-runner.ts). The result is exactly what the batch
 * engine finds for that patient over the same facts.
 */
export function reconcilePatient(ref: string, input: ReconcileInput, params: ReconcileParams): Finding[] {
  return reconcile(input, params).filter((finding) => finding.patientRef === ref);
}

/** Ids in `previous` that the current evaluation no longer finds: candidates for auto-resolution. */
export function supersededIds(previous: readonly string[], currentIds: ReadonlySet<string>): string[] {
  return previous.filter((id) => !currentIds.has(id));
}
