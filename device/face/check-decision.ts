import type { EventMessage } from "../../protocol/index.js";
import { DEFAULT_CHALLENGE, type ChallengeThresholds, type ChallengeVerdict } from "./liveness-challenge.js";
import type { VerificationResult } from "./face-pipeline.js";
import { DEFAULT_PASSIVE_THRESHOLDS, type PassiveCue, type PassiveLivenessThresholds, type PassiveLivenessVerdict } from "./passive-liveness/index.js";

/**
 * Joins the face match, the active liveness challenge and (when the box ran them) the passive cues
 * into the event's verification block, and says which part failed, for the kiosk's message and the
 * record: a live face that does not match is a mismatch (impersonation), a matching face that is not
 * live is a suspected spoof (photo or screen), both failing is still a suspected spoof (a spoof is
 * never reported as verified nor as a plain mismatch), no usable frame is `no_face`.
 *
 * Liveness is live when the challenge passed and, with passive cues, their overall score reaches
 * the liveness threshold. The event's liveness block then has method `combined` and score
 * min(challenge, passive): 1 for a passed challenge, 0 for a failed one (the asked gesture was not
 * seen; its partial progress is in `failure.challenge`), so score ≥ threshold exactly when live.
 */
type Verification = EventMessage["verification"];

export interface DecisionThresholds {
  /** Match distance below which the face matches: the recogniser manifest's calibrated value, or the box's `faceThreshold`. */
  readonly matchDistance: number;
  /** Least combined liveness score, 0..1: the box's `livenessThreshold`, or 0.5 (no passive cue fired). */
  readonly liveness: number;
  readonly passive: PassiveLivenessThresholds;
  readonly challenge: ChallengeThresholds;
}

export const DEFAULT_LIVENESS_THRESHOLD = 0.5;

/** Thresholds from the recogniser's manifest and the box configuration's behaviour settings (null: the default). */
export function decisionThresholds(
  manifest: { readonly thresholds: { readonly matchDistance?: number | undefined } },
  behaviour: { readonly faceThreshold: number | null; readonly livenessThreshold: number | null },
  overrides: Partial<Pick<DecisionThresholds, "passive" | "challenge">> = {},
): DecisionThresholds {
  return {
    matchDistance: behaviour.faceThreshold ?? manifest.thresholds.matchDistance ?? 0.6,
    liveness: behaviour.livenessThreshold ?? DEFAULT_LIVENESS_THRESHOLD,
    passive: overrides.passive ?? DEFAULT_PASSIVE_THRESHOLDS,
    challenge: overrides.challenge ?? DEFAULT_CHALLENGE,
  };
}

export interface DecisionInput {
  readonly match: VerificationResult;
  readonly liveness: ChallengeVerdict;
  readonly livenessModel: string;
  /** The passive cues over the same burst; without them the decision rests on the challenge alone. */
  readonly passive?: PassiveLivenessVerdict;
  /** Without them: the match as the pipeline judged it, and a liveness threshold of 1 on the challenge alone. */
  readonly thresholds?: DecisionThresholds;
}

/** Which part of the check failed: what the kiosk tells the person and the event's record keeps. */
export type FailedPart = "none" | "face" | "liveness" | "face_and_liveness" | "no_face";

export interface LivenessFailure {
  /** The challenge's verdict when it did not pass (with its reason and how far it got). */
  readonly challenge: { readonly reason: "time_limit" | "eyes_not_visible"; readonly score: number } | null;
  /** Passive cues that fired. */
  readonly passiveCues: readonly PassiveCue[];
  /** The passive overall score when it fell below the liveness threshold. */
  readonly passiveScore: number | null;
}

export type CheckDecision =
  | { readonly decided: true; readonly verification: Verification; readonly failed: FailedPart; readonly livenessFailure: LivenessFailure | null }
  | { readonly decided: false; readonly reason: "liveness_pending" | "not_enrolled" };

export function decideCheck(input: DecisionInput): CheckDecision {
  const { match, liveness, passive, thresholds } = input;
  if (match.outcome === "not_enrolled") return { decided: false, reason: "not_enrolled" };
  if (match.outcome === "no_face") {
    return { decided: true, verification: { outcome: "no_face", face: null, liveness: null, attestation: null }, failed: "no_face", livenessFailure: null };
  }
  if (liveness.state === "pending") return { decided: false, reason: "liveness_pending" };

  const matchThreshold = thresholds?.matchDistance ?? match.threshold;
  const faceMatches = thresholds === undefined ? match.outcome === "verified" : match.distance < matchThreshold;
  const face = { metric: "euclidean_distance" as const, score: round(match.distance), threshold: matchThreshold, model: match.model, template: match.model };

  const challengeScore = liveness.state === "passed" ? 1 : 0;
  const livenessThreshold = thresholds?.liveness ?? DEFAULT_LIVENESS_THRESHOLD;
  const passiveLive = passive === undefined || passive.score >= livenessThreshold;
  const live = liveness.state === "passed" && passiveLive;
  const livenessBlock =
    passive === undefined
      ? {
          method: liveness.challenge === "blink" ? ("active_blink" as const) : ("active_head_turn" as const),
          score: liveness.state === "passed" ? 1 : round(liveness.score),
          threshold: 1,
          model: input.livenessModel,
        }
      : { method: "combined" as const, score: Math.min(challengeScore, passive.score), threshold: livenessThreshold, model: input.livenessModel };

  const livenessFailure: LivenessFailure | null = live
    ? null
    : {
        challenge: liveness.state === "failed" ? { reason: liveness.reason, score: round(liveness.score) } : null,
        passiveCues: passive?.fired ?? [],
        passiveScore: passive !== undefined && !passiveLive ? round(passive.score) : null,
      };
  const failed: FailedPart = faceMatches ? (live ? "none" : "liveness") : live ? "face" : "face_and_liveness";
  const outcome = !live ? "suspected_spoof" : faceMatches ? "verified" : "face_mismatch";
  return { decided: true, verification: { outcome, face, liveness: livenessBlock, attestation: null }, failed, livenessFailure };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

