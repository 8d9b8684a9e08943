import { decideCheck, type DecisionThresholds } from "../face/check-decision.js";
import { chipPointsToImage, type EyeContourModel } from "../face/eye-contour.js";
import { alignFace, chipToImage } from "../face/face-aligner.js";
import { decodeFaceImage } from "../face/face-image.js";
import { assessPassiveLiveness, DEFAULT_PASSIVE_THRESHOLDS, type PassiveFrame, type PassiveLivenessThresholds, type PassiveLivenessVerdict } from "../face/passive-liveness/index.js";
import type { FaceDetector } from "../face/face-detector.js";
import type { FaceLandmarker } from "../face/face-landmarker.js";
import { yawFromLandmarks } from "../face/face-measures.js";
import type { FacePipeline, VerificationResult } from "../face/face-pipeline.js";
import { judgeChallenge, type Challenge, type ChallengeVerdict, type LivenessObservation } from "../face/liveness-challenge.js";
import type { TemplateStore } from "../face/template-store.js";
import type { EnrolmentOutcome, FaceOutcome, Verification } from "../flows/flow-types.js";
import type { CameraFrame } from "../ports.js";

/**
 * The agent's face seam: a burst of frames and a card's person ref in, the flow's face outcome out.
 * Production wires the face pipeline (detect → gates → align → embed → template), the active
 * liveness challenge on the landmark track, and decideCheck; tests may wire a scripted one.
 */
export interface FaceCheck {
  /** Model ids as id@version, for health. */
  readonly models: readonly string[];
  /** The model (id@version) enrolled templates are stored under, for template sync; absent: nothing to sync. */
  readonly templateModel?: string;
  /** `watchFaces`: person refs whose enrolled faces are on the watch list (staff check whatever the card). */
  verify(frames: readonly CameraFrame[], personRef: string, challenge: Challenge, watchFaces?: readonly string[]): Promise<FaceOutcome>;
  enrol(frames: readonly CameraFrame[], personRef: string): Promise<EnrolmentOutcome>;
  /** Whether an enrolled template of this person (current model) is held here: a watched face can only be recognised then. */
  holdsTemplate?(personRef: string): boolean;
  /** Releases what this check alone owns (models and stores shared between checks stay open). */
  close?(): Promise<void>;
}

/** What a burst says about liveness: the active challenge, and the passive cues when the box ran them. */
export interface BurstLivenessVerdict {
  readonly challenge: ChallengeVerdict;
  readonly passive: PassiveLivenessVerdict | null;
}

/** Judges liveness over a burst. */
export interface LivenessJudge {
  readonly model: string;
  judge(frames: readonly CameraFrame[], challenge: Challenge): Promise<BurstLivenessVerdict>;
}

/**
 * Liveness over one burst: the active challenge on the landmark track of each frame (yaw from the
 * 68-point landmarks for a head turn; for a blink, the eyelid openness the iris model traces in
 * crops around the 68-point eye corners: the 68-point net's own eye points barely move when an eye
 * closes, see device/face/eye-contour.ts), and the passive cues (screen border, moiré, glare,
 * micro-motion: device/face/passive-liveness) on the same frames and face boxes. A burst that ends
 * before the gesture and before the time limit is a failed challenge here: the box does not wait for
 * more frames than it asked for.
 */
export class LandmarkLiveness implements LivenessJudge {
  readonly model: string;

  constructor(
    private readonly detector: FaceDetector,
    private readonly landmarker: FaceLandmarker,
    private readonly eyes: EyeContourModel,
    private readonly passiveThresholds: PassiveLivenessThresholds | null = DEFAULT_PASSIVE_THRESHOLDS,
    model = `${landmarker.manifest.id}+${eyes.manifest.id}`,
  ) {
    this.model = model;
  }

  async judge(frames: readonly CameraFrame[], challenge: Challenge): Promise<BurstLivenessVerdict> {
    const track: LivenessObservation[] = [];
    const passiveFrames: PassiveFrame[] = [];
    for (const frame of frames) {
      const decoded = await decodeFaceImage(frame.image);
      if (!decoded.ok) continue;
      const image = decoded.image;
      const face = (await this.detector.detect(image))[0];
      const [rightEye, leftEye] = face?.keypoints ?? [];
      if (face === undefined || rightEye === undefined || leftEye === undefined) continue;
      passiveFrames.push({ image, face });
      const points = await this.landmarker.landmarks(alignFace(image, rightEye, leftEye, this.landmarker.chipSize));
      // Eyelids only for a blink: a head turn needs the yaw alone, and each eye costs one more model run.
      const eyes = challenge === "blink" ? await this.eyes.eyeOpenness(image, chipPointsToImage(points, chipToImage(rightEye, leftEye, this.landmarker.chipSize))) : null;
      track.push({ atMs: frame.capturedAt, yaw: yawFromLandmarks(points), ...(eyes === null ? { eyeOpenness: 0 } : { eyeOpenness: (eyes[0] + eyes[1]) / 2, eyes }) });
    }
    const verdict = judgeChallenge(challenge, track);
    const active: ChallengeVerdict = verdict.state === "pending" ? { state: "failed", challenge, reason: "time_limit", score: 0 } : verdict;
    const passive = this.passiveThresholds === null || passiveFrames.length === 0 ? null : assessPassiveLiveness(passiveFrames, this.passiveThresholds);
    return { challenge: active, passive };
  }
}

export class PipelineFaceCheck implements FaceCheck {
  readonly models: readonly string[];
  readonly templateModel: string;

  constructor(
    private readonly pipeline: FacePipeline,
    private readonly templates: TemplateStore,
    private readonly liveness: LivenessJudge,
    /** From the recogniser's manifest and the box's behaviour settings (decisionThresholds). */
    private readonly thresholds?: DecisionThresholds,
    private readonly minEnrolmentFrames = 3,
  ) {
    this.models = [pipeline.model, liveness.model];
    this.templateModel = pipeline.model;
  }

  async verify(frames: readonly CameraFrame[], personRef: string, challenge: Challenge, watchFaces: readonly string[] = []): Promise<FaceOutcome> {
    if (frames.length === 0) return { kind: "camera_problem", detail: "the camera delivered no frame" };
    const match = await this.pipeline.verify(
      frames.map((f) => f.image),
      personRef,
      this.templates,
      { watchFaces },
    );
    if (match.outcome === "not_enrolled") return { kind: "not_enrolled" };
    // Frames that are not images are the camera's fault: nothing to coach the patient about.
    if (match.outcome === "no_face" && match.coaching === "unreadable_image") return { kind: "camera_problem", detail: "the camera's frames do not decode as images" };
    // Liveness is judged only on a face that was seen; a no_face burst has nothing to judge.
    const liveness: BurstLivenessVerdict = match.outcome === "no_face" ? { challenge: { state: "pending", challenge }, passive: null } : await this.liveness.judge(frames, challenge);
    const decision = decideCheck({
      match,
      liveness: liveness.challenge,
      livenessModel: this.liveness.model,
      ...(liveness.passive === null ? {} : { passive: liveness.passive }),
      ...(this.thresholds === undefined ? {} : { thresholds: this.thresholds }),
    });
    if (!decision.decided) return { kind: "not_enrolled" };
    return { kind: "decided", verification: withIdentification(decision.verification, match), coaching: match.outcome === "no_face" ? match.coaching : null };
  }

  holdsTemplate(personRef: string): boolean {
    return this.templates.get(personRef, this.pipeline.model) !== undefined;
  }

  async enrol(frames: readonly CameraFrame[], personRef: string): Promise<EnrolmentOutcome> {
    if (frames.length === 0) return { ok: false, goodFrames: 0, framesNeeded: this.minEnrolmentFrames, problem: "camera_problem" };
    const result = await this.pipeline.enrol(frames.map((f) => f.image), personRef, this.templates);
    if (result.ok) return { ok: true, goodFrames: result.template.frames, duplicateOf: result.duplicateOf.map((d) => d.personRef), model: result.template.model };
    const commonest = mostCommon(result.rejections);
    return { ok: false, goodFrames: result.goodFrames, framesNeeded: this.minEnrolmentFrames, problem: result.reason === "inconsistent_frames" ? "inconsistent_frames" : (commonest ?? "too_few_good_frames") };
  }
}

/**
 * Whose face it was (at a mismatch, or a watch-listed face on someone else's card) and whether the
 * face is on the watch list: the event carries both so the gateway can alert (W2) and a confirmed
 * impersonation can put that face on watch.
 */
function withIdentification(verification: Verification, match: VerificationResult): Verification {
  if (match.outcome !== "verified" && match.outcome !== "face_mismatch") return verification;
  const { identifiedAs, watchListedFace } = match;
  return {
    ...verification,
    ...(watchListedFace === null ? {} : { watchListedFace: true as const }),
    // A check that verified is the holder's own face, whatever else it resembles, unless the watched face is someone else's.
    ...(identifiedAs === null || (verification.outcome === "verified" && identifiedAs.personRef !== watchListedFace?.personRef) ? {} : { faceIdentifiedAs: { ref: identifiedAs.personRef, score: round4(identifiedAs.distance), threshold: match.threshold } }),
  };
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function mostCommon<T>(items: readonly T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}
