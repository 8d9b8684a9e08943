import type { EventMessage } from "../../protocol/index.js";
import type { ChallengeVerdict } from "./liveness-challenge.js";
import type { VerificationResult } from "./face-pipeline.js";

/**
 * Joins the face match and the liveness challenge into the event's verification block, and says
 * which part failed: a live face that does not match is a mismatch (impersonation), a matching face
 * that failed the challenge is a suspected spoof (photo or screen), no usable frame is `no_face`.
 * Liveness is judged first only in the sense that a spoof is never reported as verified.
 */
type Verification = EventMessage["verification"];

export interface DecisionInput {
  readonly match: VerificationResult;
  readonly liveness: ChallengeVerdict;
  readonly livenessModel: string;
}

export type CheckDecision =
  | { readonly decided: true; readonly verification: Verification }
  | { readonly decided: false; readonly reason: "liveness_pending" | "not_enrolled" };

export function decideCheck(input: DecisionInput): CheckDecision {
  const { match, liveness } = input;
  if (match.outcome === "not_enrolled") return { decided: false, reason: "not_enrolled" };
  if (match.outcome === "no_face") {
    return { decided: true, verification: { outcome: "no_face", face: null, liveness: null, attestation: null } };
  }
  if (liveness.state === "pending") return { decided: false, reason: "liveness_pending" };
  const face = { metric: "euclidean_distance" as const, score: round(match.distance), threshold: match.threshold, model: match.model, template: match.model };
  const livenessBlock = {
    method: liveness.challenge === "blink" ? ("active_blink" as const) : ("active_head_turn" as const),
    score: liveness.state === "passed" ? 1 : round(liveness.score),
    threshold: 1,
    model: input.livenessModel,
  };
  const outcome = liveness.state === "failed" ? "suspected_spoof" : match.outcome;
  return { decided: true, verification: { outcome, face, liveness: livenessBlock, attestation: null } };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
