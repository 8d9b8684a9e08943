/**
 * The active liveness challenge: the kiosk asks for a blink or a head turn, chosen at random so a
 * prepared video cannot anticipate it, and the burst's landmark track must show it within the time
 * allowed. A printed photo or a still screen shows neither. Pure: observations in, verdict out.
 */
export const CHALLENGES = ["blink", "turn_left", "turn_right"] as const;
export type Challenge = (typeof CHALLENGES)[number];

export interface LivenessObservation {
  readonly atMs: number;
  /** Mean eye aspect ratio of both eyes. */
  readonly eyeOpenness: number;
  /** −1 … +1, positive when the head turns to the subject's left. */
  readonly yaw: number;
}

export interface ChallengeThresholds {
  /** A blink: openness falls below this share of the open baseline, then recovers above `reopenShare`. */
  readonly closedShare: number;
  readonly reopenShare: number;
  /** An open eye's least baseline openness: below it the eyes are not visible enough to judge. */
  readonly minOpenBaseline: number;
  /** A turn: yaw moves at least this far from its starting value in the asked direction. */
  readonly turnYaw: number;
  readonly timeLimitMs: number;
}

export const DEFAULT_CHALLENGE: ChallengeThresholds = {
  closedShare: 0.6,
  reopenShare: 0.85,
  minOpenBaseline: 0.18,
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
  // Baseline: the most open of the first frames, before a blink can have started.
  const head = track.slice(0, Math.max(3, Math.ceil(track.length / 4)));
  const baseline = Math.max(...head.map((o) => o.eyeOpenness));
  if (track.length >= 3 && baseline < t.minOpenBaseline) return { passedAt: null, score: 0, unjudgeable: true };
  let closedSeen = false;
  let deepest = baseline;
  for (const o of track) {
    deepest = Math.min(deepest, o.eyeOpenness);
    if (o.eyeOpenness < t.closedShare * baseline) closedSeen = true;
    else if (closedSeen && o.eyeOpenness > t.reopenShare * baseline) return { passedAt: o.atMs, score: 1, unjudgeable: false };
  }
  return { passedAt: null, score: Math.min(1, Math.max(0, (baseline - deepest) / ((1 - t.closedShare) * baseline))), unjudgeable: false };
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
