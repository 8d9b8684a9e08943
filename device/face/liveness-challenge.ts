/**
 * The active liveness challenge: the kiosk asks for a blink or a head turn, chosen at random so a
 * prepared video cannot anticipate it, and the burst's landmark track must show it within the time
 * allowed. A printed photo or a still screen shows neither. Pure: observations in, verdict out.
 */
export const CHALLENGES = ["blink", "turn_left", "turn_right"] as const;
export type Challenge = (typeof CHALLENGES)[number];

export interface LivenessObservation {
  readonly atMs: number;
  /** Eyelid openness, mean of both eyes: the lid gap over the corner distance (device/face/eye-contour.ts). */
  readonly eyeOpenness: number;
  /**
   * Each eye's openness (subject's right, left). When given, a blink needs both eyes to close and
   * reopen together: a real blink is bilateral, and one eye's contour jumping on a still photo is not one.
   */
  readonly eyes?: readonly [number, number];
  /** −1 … +1, positive when the head turns to the subject's left. */
  readonly yaw: number;
}

export interface ChallengeThresholds {
  /** A blink: each eye's openness falls below this share of its open baseline, then recovers above `reopenShare`. */
  readonly closedShare: number;
  readonly reopenShare: number;
  /** An open eye's least baseline openness: below it the eyes are not visible enough to judge. */
  readonly minOpenBaseline: number;
  /** A turn: yaw moves at least this far from its starting value in the asked direction. */
  readonly turnYaw: number;
  readonly timeLimitMs: number;
}

/**
 * Blink thresholds for the iris model's eyelid openness, from measurements (see eye-contour.ts):
 * - on LFW, a closed eye's openness is 0.50 (median) of the same person's open eyes in other photos,
 *   and open eyes measure 0.165–0.39 (closed ones 0.075–0.20): with the baseline at least 0.15, a
 *   fall in both eyes below 0.75 of it read 17 of 26 closed photos as closed against the same
 *   person's open photos, and 4 of 109 open ones (other days and poses: within a burst only the lids move);
 * - on the liveness bench's bursts of 160 LFW faces, no printed-photo, screen-replay or still-frame
 *   burst (0 of 480) fell that far in both eyes and reopened, while a painted blink did in 114 of
 *   160 live bursts (the paint covers small or squinting eyes poorly). Judged on the mean of both
 *   eyes instead, two attack bursts passed, one a still burst of a blurred face whose one eye's contour jumped.
 */
export const DEFAULT_CHALLENGE: ChallengeThresholds = {
  closedShare: 0.75,
  reopenShare: 0.85,
  minOpenBaseline: 0.15,
  turnYaw: 0.25,
  timeLimitMs: 5000,
};

export type ChallengeVerdict =
  | { readonly state: "passed"; readonly challenge: Challenge; readonly atMs: number; readonly score: number }
  | { readonly state: "pending"; readonly challenge: Challenge }
  | { readonly state: "failed"; readonly challenge: Challenge; readonly reason: "time_limit" | "eyes_not_visible"; readonly score: number };

/** One of the allowed challenges at random (the box configuration's `livenessChallenges`). */
export function pickChallenge(randomInt: (max: number) => number, allowed: readonly Challenge[] = CHALLENGES): Challenge {
  return allowed[randomInt(allowed.length)] ?? allowed[0] ?? "turn_left";
}

/** Judges the track so far; call it after each frame. */
export function judgeChallenge(challenge: Challenge, track: readonly LivenessObservation[], thresholds: ChallengeThresholds = DEFAULT_CHALLENGE): ChallengeVerdict {
  const first = track[0];
  if (first === undefined) return { state: "pending", challenge };
  const elapsed = (track[track.length - 1]?.atMs ?? first.atMs) - first.atMs;
  const result = challenge === "blink" ? blinkSeen(track, thresholds) : turnSeen(track, challenge === "turn_left" ? 1 : -1, thresholds);
  if (result.passedAt !== null) return { state: "passed", challenge, atMs: result.passedAt, score: result.score };
  if (result.unjudgeable) return { state: "failed", challenge, reason: "eyes_not_visible", score: result.score };
  if (elapsed > thresholds.timeLimitMs) return { state: "failed", challenge, reason: "time_limit", score: result.score };
  return { state: "pending", challenge };
}

interface Seen {
  readonly passedAt: number | null;
  /** 0..1: how far the track got towards the gesture. */
  readonly score: number;
  readonly unjudgeable: boolean;
}

function blinkSeen(track: readonly LivenessObservation[], t: ChallengeThresholds): Seen {
  // One series per eye when the track has them, else the mean openness alone.
  const perEye = track.every((o) => o.eyes !== undefined);
  const eyeCount = perEye ? 2 : 1;
  const openness = (o: LivenessObservation, eye: number): number => (perEye ? (o.eyes?.[eye] ?? 0) : o.eyeOpenness);
  // Baseline per eye: the most open of the first frames, before a blink can have started.
  const head = track.slice(0, Math.max(3, Math.ceil(track.length / 4)));
  const baselines = Array.from({ length: eyeCount }, (_, eye) => Math.max(...head.map((o) => openness(o, eye))));
  const meanBaseline = baselines.reduce((a, b) => a + b, 0) / eyeCount;
  if (track.length >= 3 && meanBaseline < t.minOpenBaseline) return { passedAt: null, score: 0, unjudgeable: true };
  // How far the eye that closed least has fallen towards `closedShare` (1: there), per frame.
  const progress = (o: LivenessObservation): number =>
    Math.min(...baselines.map((base, eye) => (base <= 0 ? 0 : (base - openness(o, eye)) / ((1 - t.closedShare) * base))));
  const reopened = (o: LivenessObservation): boolean => baselines.every((base, eye) => openness(o, eye) > t.reopenShare * base);
  let closedSeen = false;
  let furthest = 0;
  for (const o of track) {
    const p = progress(o);
    furthest = Math.max(furthest, p);
    if (p > 1) closedSeen = true;
    else if (closedSeen && reopened(o)) return { passedAt: o.atMs, score: 1, unjudgeable: false };
  }
  return { passedAt: null, score: Math.min(1, Math.max(0, furthest)), unjudgeable: false };
}

function turnSeen(track: readonly LivenessObservation[], direction: 1 | -1, t: ChallengeThresholds): Seen {
  const start = track[0]?.yaw ?? 0;
  let furthest = 0;
  for (const o of track) {
    const moved = (o.yaw - start) * direction;
    furthest = Math.max(furthest, moved);
    if (moved >= t.turnYaw) return { passedAt: o.atMs, score: 1, unjudgeable: false };
  }
  return { passedAt: null, score: Math.min(1, furthest / t.turnYaw), unjudgeable: false };
}
