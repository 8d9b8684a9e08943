import type { RgbImage } from "../face-aligner.js";
import type { FaceBox } from "../face-detector.js";
import { measureBorder } from "./border-cue.js";
import { measureGlare } from "./glare-cue.js";
import { clamp01, median } from "./luminance.js";
import { measureMicroMotion } from "./motion-cue.js";
import { measureMoire } from "./moire-cue.js";

/**
 * Passive liveness: cues read from the pixels of a burst, with nothing asked of the person. Each cue
 * is a pure function with a measured value and a threshold (see its module for what it measures and
 * why); this module runs them over the burst and joins them.
 *
 * Scores: every cue maps its value to a live-score in [0, 1] that is exactly 0.5 at its threshold,
 * above 0.5 on the live side and below on the attack side (linear: a "higher is attack" cue scores
 * 1 − 0.5·value/threshold, the motion cue, where lower is attack, 0.5·value/threshold). The
 * overall score is the lowest cue score, so it is below 0.5 exactly when some cue fired, and a
 * configured liveness threshold above 0.5 asks for margin on every cue.
 */
export const PASSIVE_CUES = ["border", "moire", "glare", "motion"] as const;
export type PassiveCue = (typeof PASSIVE_CUES)[number];

export interface PassiveLivenessThresholds {
  /** Border: mean coverage of the two best framing edges, fires at or above. */
  readonly border: number;
  /** Moiré: log10 spectral peak over its ring median, fires at or above. */
  readonly moire: number;
  /** Glare: largest saturated blob as a share of the face box, fires at or above. */
  readonly glare: number;
  /** Micro-motion: non-rigid residual in grid cells, fires below. */
  readonly motion: number;
}

/**
 * Chosen by `npm run bench:liveness -- --limit 160` (80 calibration identities, each cue rejecting at
 * most 1 % of their synthetic live bursts: border 0.978, moiré 2.084, glare 0.0423, motion 0.1656),
 * rounded towards accepting live faces. The border threshold is high because this LFW copy's photos
 * often hold long straight edges of their own; see the bench's report for what these catch.
 */
export const DEFAULT_PASSIVE_THRESHOLDS: PassiveLivenessThresholds = {
  border: 0.98,
  moire: 2.1,
  glare: 0.045,
  motion: 0.16,
};

export interface CueResult {
  /** The measured value (median over the burst's frames for the per-frame cues); null if it could not be judged. */
  readonly value: number | null;
  readonly threshold: number;
  readonly fired: boolean;
  /** Live-score in [0, 1], 0.5 at the threshold; 1 for a cue that could not be judged. */
  readonly score: number;
}

export interface PassiveLivenessVerdict {
  readonly cues: Readonly<Record<PassiveCue, CueResult>>;
  readonly fired: readonly PassiveCue[];
  /** Lowest cue score, in [0, 1]; below 0.5 when any cue fired. */
  readonly score: number;
  readonly frames: number;
}

export class PassiveLivenessError extends Error {
  constructor(
    readonly code: "empty_burst",
    message: string,
  ) {
    super(message);
    this.name = "PassiveLivenessError";
  }
}

export interface PassiveFrame {
  readonly image: RgbImage;
  readonly face: FaceBox;
}

export function assessPassiveLiveness(frames: readonly PassiveFrame[], thresholds: PassiveLivenessThresholds = DEFAULT_PASSIVE_THRESHOLDS): PassiveLivenessVerdict {
  if (frames.length === 0) throw new PassiveLivenessError("empty_burst", "passive liveness needs at least one frame with a face");
  const perFrame = (measure: (f: PassiveFrame) => number): number => median(frames.map(measure));
  const motion = measureMicroMotion(frames);
  const cues: Record<PassiveCue, CueResult> = {
    border: higherIsAttack(perFrame((f) => measureBorder(f.image, f.face).value), thresholds.border),
    moire: higherIsAttack(perFrame((f) => measureMoire(f.image, f.face).value), thresholds.moire),
    glare: higherIsAttack(perFrame((f) => measureGlare(f.image, f.face).value), thresholds.glare),
    motion: motion === null ? unjudged(thresholds.motion) : lowerIsAttack(motion.value, thresholds.motion),
  };
  const fired = PASSIVE_CUES.filter((cue) => cues[cue].fired);
  const score = Math.min(...PASSIVE_CUES.map((cue) => cues[cue].score));
  return { cues, fired, score, frames: frames.length };
}

export function higherIsAttack(value: number, threshold: number): CueResult {
  const fired = value >= threshold;
  const raw = clamp01(1 - (0.5 * value) / threshold);
  // At the threshold exactly the linear map gives 0.5; keep fired cues strictly below it.
  return { value, threshold, fired, score: fired ? Math.min(raw, 0.4999) : Math.max(raw, 0.5001) };
}

export function lowerIsAttack(value: number, threshold: number): CueResult {
  const fired = value < threshold;
  const raw = clamp01((0.5 * value) / threshold);
  return { value, threshold, fired, score: fired ? Math.min(raw, 0.4999) : Math.max(raw, 0.5001) };
}

function unjudged(threshold: number): CueResult {
  return { value: null, threshold, fired: false, score: 1 };
}

export { measureBorder } from "./border-cue.js";
export { measureGlare } from "./glare-cue.js";
export { measureMicroMotion } from "./motion-cue.js";
export { measureMoire } from "./moire-cue.js";
