import { createHash } from "node:crypto";

/**
 * The arithmetic of the liveness benchmark, kept apart so it can be tested: splitting identities
 * into a calibration half and a report half, choosing a cue's threshold on live faces alone, rates
 * with their counts, and percentiles.
 */
export interface Rate {
  readonly count: number;
  readonly total: number;
  /** count / total; null when there is nothing to count. */
  readonly rate: number | null;
}

export function rate(count: number, total: number): Rate {
  return { count, total, rate: total === 0 ? null : count / total };
}

/**
 * Halves by a hash of the identity's name: stable whatever the order or the subset, and no
 * identity on both sides (thresholds are chosen on one half and reported on the other).
 */
export function splitIdentities(names: readonly string[], salt = "liveness-bench"): { calibration: string[]; report: string[] } {
  const calibration: string[] = [];
  const report: string[] = [];
  for (const name of names) {
    const bit = (createHash("sha256").update(`${salt}/${name}`).digest()[0] ?? 0) & 1;
    (bit === 0 ? calibration : report).push(name);
  }
  return { calibration, report };
}

export type Direction = "higher_is_attack" | "lower_is_attack";

/**
 * The most sensitive threshold that rejects at most `liveBudget` of the live values (Neyman–Pearson:
 * the live-face rejection rate is fixed, attack detection is whatever it then is). A "higher is
 * attack" cue fires at value ≥ threshold, a "lower is attack" cue at value < threshold.
 * Null values (cue not judged) never fire and are ignored.
 */
export function chooseThreshold(liveValues: readonly (number | null)[], direction: Direction, liveBudget: number): number {
  const values = liveValues.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (values.length === 0) throw new RangeError("no live values to choose a threshold on");
  const allowed = Math.floor(liveBudget * values.length);
  if (direction === "higher_is_attack") {
    // Fires at ≥ t: t just above the (allowed+1)-th largest value lets `allowed` values fire.
    const v = values[values.length - 1 - allowed] ?? 0;
    return nextUp(v);
  }
  // Fires at < t: t equal to the (allowed+1)-th smallest value lets `allowed` values fire.
  return values[allowed] ?? 0;
}

export function fires(value: number | null, threshold: number, direction: Direction): boolean {
  if (value === null) return false;
  return direction === "higher_is_attack" ? value >= threshold : value < threshold;
}

/** Nearest-rank percentile (p in 0..100) of the values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

function nextUp(v: number): number {
  // A value a hair above v, in the value's own scale, so v itself no longer fires.
  return v + Math.max(Math.abs(v) * 1e-9, 1e-12);
}
