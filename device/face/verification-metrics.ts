/**
 * Error rates of a face verifier from scored pairs, for the benchmark and the calibration.
 * Scores are distances: a pair is accepted as the same person when its distance is below the
 * threshold (strictly, as FacePipeline decides). Pure functions over numbers; no I/O.
 *
 * Conventions follow the LFW protocol (Huang et al. 2007, View 2): accuracy is measured on each fold
 * with the threshold chosen on the other folds, and reported as the mean over folds with its
 * standard error. TAR at a FAR is read at the largest threshold whose false accepts stay within
 * FAR x impostor pairs; with fewer than 1 / FAR impostor pairs that FAR cannot be measured at all.
 */
export interface ScoredPair {
  readonly distance: number;
  readonly same: boolean;
  /** Cross-validation fold, 0-based. */
  readonly fold: number;
}

/** Area under the ROC curve: the chance that a genuine pair scores closer than an impostor pair (ties count half). */
export function rocAuc(genuine: readonly number[], impostor: readonly number[]): number {
  if (genuine.length === 0 || impostor.length === 0) return Number.NaN;
  const all = [...genuine.map((d) => ({ d, g: true })), ...impostor.map((d) => ({ d, g: false }))].sort((a, b) => a.d - b.d);
  // Mann–Whitney: walk the sorted scores; each impostor contributes the genuine pairs below it.
  let genuineBelow = 0;
  let wins = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    let g = 0;
    let m = 0;
    while (j < all.length && all[j]?.d === all[i]?.d) {
      if (all[j]?.g === true) g++;
      else m++;
      j++;
    }
    wins += m * (genuineBelow + g / 2);
    genuineBelow += g;
    i = j;
  }
  return wins / (genuine.length * impostor.length);
}

/** Share of impostor distances below `threshold` (false accepts). */
export function falseAcceptRate(impostor: readonly number[], threshold: number): number {
  return impostor.filter((d) => d < threshold).length / impostor.length;
}

/** Share of genuine distances at or above `threshold` (false rejects). */
export function falseRejectRate(genuine: readonly number[], threshold: number): number {
  return genuine.filter((d) => d >= threshold).length / genuine.length;
}

/**
 * Equal error rate: over every threshold between observed scores, the one where FAR and FRR are
 * closest, and their mean there.
 */
export function equalErrorRate(genuine: readonly number[], impostor: readonly number[]): { eer: number; threshold: number } {
  const g = [...genuine].sort((a, b) => a - b);
  const m = [...impostor].sort((a, b) => a - b);
  let best = { gap: Number.POSITIVE_INFINITY, eer: Number.NaN, threshold: Number.NaN };
  // Sweep the thresholds upwards; `gi` and `mi` count the genuine and impostor scores below t.
  let gi = 0;
  let mi = 0;
  for (const t of thresholdCandidates([...g, ...m])) {
    while (gi < g.length && (g[gi] ?? 0) < t) gi++;
    while (mi < m.length && (m[mi] ?? 0) < t) mi++;
    const far = mi / m.length;
    const frr = 1 - gi / g.length;
    const gap = Math.abs(far - frr);
    if (gap < best.gap) best = { gap, eer: (far + frr) / 2, threshold: t };
  }
  return { eer: best.eer, threshold: best.threshold };
}

export interface TarAtFar {
  readonly far: number;
  /** null when there are fewer than 1 / far impostor pairs: that FAR is below what the set can show. */
  readonly tar: number | null;
  readonly threshold: number | null;
  /** False accepts the threshold allows (floor(far x impostor pairs)). */
  readonly allowedFalseAccepts: number;
  readonly impostorPairs: number;
}

/** True-accept rate at the largest threshold whose false accepts stay within `far` of the impostor pairs. */
export function tarAtFar(genuine: readonly number[], impostor: readonly number[], far: number): TarAtFar {
  const allowed = Math.floor(far * impostor.length);
  if (impostor.length === 0 || far * impostor.length < 1) {
    return { far, tar: null, threshold: null, allowedFalseAccepts: allowed, impostorPairs: impostor.length };
  }
  const sorted = [...impostor].sort((a, b) => a - b);
  // Accepting d < t with t = the (allowed+1)-th smallest impostor distance admits at most `allowed`.
  const threshold = sorted[allowed] ?? Number.POSITIVE_INFINITY;
  return { far, tar: genuine.filter((d) => d < threshold).length / genuine.length, threshold, allowedFalseAccepts: allowed, impostorPairs: impostor.length };
}

/** Accuracy of deciding `distance < threshold` ⇔ same person. */
export function accuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  return pairs.filter((p) => p.distance < threshold === p.same).length / pairs.length;
}

/**
 * The threshold with the best accuracy on `pairs`: the midpoint of the widest-scoring gap between
 * neighbouring observed distances (exact, not a grid search; ties broken towards the middle of
 * equally good runs).
 */
export function bestAccuracyThreshold(pairs: readonly ScoredPair[]): { threshold: number; accuracy: number } {
  const sorted = [...pairs].sort((a, b) => a.distance - b.distance);
  // Threshold below everything: all rejected, correct = impostor count. Moving it past a pair flips it.
  let correct = sorted.filter((p) => !p.same).length;
  let best = { correct, cuts: [0] };
  let inBestRun = true;
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i];
    if (p === undefined) continue;
    correct += p.same ? 1 : -1;
    if (sorted[i + 1]?.distance === p.distance) continue;
    // Cut i + 1: the threshold between sorted[i] and sorted[i + 1].
    if (correct > best.correct) {
      best = { correct, cuts: [i + 1] };
      inBestRun = true;
    } else if (correct === best.correct && inBestRun) {
      best.cuts.push(i + 1);
    } else {
      inBestRun = false;
    }
  }
  const middle = best.cuts[Math.floor((best.cuts.length - 1) / 2)] ?? 0;
  return { threshold: cutBetween(sorted, middle), accuracy: best.correct / sorted.length };
}

function cutBetween(sorted: readonly ScoredPair[], index: number): number {
  const below = sorted[index - 1]?.distance;
  const above = sorted[index]?.distance;
  if (below === undefined) return (above ?? 0) - 1e-6;
  if (above === undefined) return below + 1e-6;
  return (below + above) / 2;
}

export interface FoldAccuracy {
  readonly mean: number;
  /** Standard error of the mean over folds, as LFW results are reported. */
  readonly standardError: number;
  readonly perFold: readonly { fold: number; threshold: number; accuracy: number; pairs: number }[];
}

/** LFW View-2 style accuracy: each fold judged at the threshold that is best on all other folds. */
export function crossValidatedAccuracy(pairs: readonly ScoredPair[]): FoldAccuracy {
  const folds = [...new Set(pairs.map((p) => p.fold))].sort((a, b) => a - b);
  if (folds.length < 2) throw new RangeError("cross-validation needs at least two folds");
  const perFold = folds.map((fold) => {
    const test = pairs.filter((p) => p.fold === fold);
    const { threshold } = bestAccuracyThreshold(pairs.filter((p) => p.fold !== fold));
    return { fold, threshold, accuracy: accuracyAt(test, threshold), pairs: test.length };
  });
  const mean = perFold.reduce((s, f) => s + f.accuracy, 0) / perFold.length;
  const variance = perFold.reduce((s, f) => s + (f.accuracy - mean) ** 2, 0) / (perFold.length - 1);
  return { mean, standardError: Math.sqrt(variance / perFold.length), perFold };
}

/** Distinct scores and the midpoints between neighbours: every threshold at which a rate can change. */
function thresholdCandidates(scores: readonly number[]): number[] {
  const unique = [...new Set(scores)].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; i < unique.length; i++) {
    const u = unique[i] ?? 0;
    out.push(u);
    const next = unique[i + 1];
    if (next !== undefined) out.push((u + next) / 2);
  }
  out.push((unique[unique.length - 1] ?? 0) + 1e-6);
  return out;
}

/** Median and 95th percentile (nearest rank) of a sample, e.g. per-stage latencies. */
export function percentiles(values: readonly number[]): { p50: number; p95: number } {
  if (values.length === 0) return { p50: Number.NaN, p95: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  return { p50: rank(0.5), p95: rank(0.95) };
}
