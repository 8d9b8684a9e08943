import type { Point } from "./blazeface-decoder.js";
import { FaceChipAligner } from "./face-chip-aligner.js";
import type { FaceDetector } from "./face-detector.js";
import { euclideanDistance, l2Normalised, type FaceEmbedder } from "./face-embedder.js";
import { decodeFaceImage, DEFAULT_IMAGE_LIMITS, type FaceImageError, type FaceImageLimits } from "./face-image.js";
import type { FaceLandmarker } from "./face-landmarker.js";
import { DEFAULT_QUALITY, judgeChip, judgeDetections, type QualityRejection, type QualityThresholds, type QualityVerdict } from "./quality-gates.js";
import type { FaceTemplate, TemplateStore } from "./template-store.js";

/**
 * decode → detect → quality gates → align → embed, and on top of it enrolment (several good frames
 * averaged into a template, with a search for the same face under another card) and verification
 * (a burst of frames, the best evidence within a time budget). Liveness is judged beside it
 * (liveness-challenge.ts, passive-liveness/) and joined in check-decision.ts.
 *
 * Alignment: with a landmark model in the options (what a box runs, and what the manifest's
 * calibrated threshold was measured with), dlib's 68-landmark chip; without, the two eye keypoints.
 */
export interface FrameAnalysis {
  readonly verdict: QualityVerdict;
  readonly descriptor: Float32Array | null;
  /** The 68 landmarks in image pixels when the landmark model ran (reusable for eye openness and yaw). */
  readonly landmarks: readonly Point[] | null;
  /** Why the frame's bytes did not decode, when the verdict is `unreadable_image`. */
  readonly imageError: FaceImageError | null;
}

export type EnrolmentResult =
  | { readonly ok: true; readonly template: FaceTemplate; readonly duplicateOf: readonly TemplateMatch[] }
  | { readonly ok: false; readonly reason: "too_few_good_frames" | "inconsistent_frames"; readonly goodFrames: number; readonly rejections: readonly QualityRejection[] };

/** An enrolled template the live face matches: whose it is and how close. */
export interface TemplateMatch {
  readonly personRef: string;
  readonly distance: number;
}

export type VerificationResult =
  | {
      readonly outcome: "verified" | "face_mismatch";
      readonly distance: number;
      readonly threshold: number;
      readonly framesUsed: number;
      readonly model: string;
      /** At a mismatch: the other enrolled person whose template the face matches best, if any. */
      readonly identifiedAs: TemplateMatch | null;
      /** The watch-listed face (VerifyOptions.watchFaces) the live face matches, if any. */
      readonly watchListedFace: TemplateMatch | null;
    }
  | { readonly outcome: "no_face"; readonly coaching: QualityRejection | null; readonly framesUsed: number }
  | { readonly outcome: "not_enrolled"; readonly framesUsed: 0 };

export interface VerifyOptions {
  /** Time budget for the burst (ms); the first frame is always looked at. */
  readonly budgetMs?: number;
  /** Person refs whose enrolled templates are on the watch list (command watch_list_update). */
  readonly watchFaces?: readonly string[];
}

export interface FacePipelineOptions {
  readonly quality?: QualityThresholds;
  /** The box configuration's behaviour.faceThreshold when set; otherwise the manifest's calibrated matchDistance. */
  readonly matchThreshold?: number | null;
  readonly minEnrolmentFrames?: number;
  /** The 68-point landmark model: dlib's landmark chip instead of the eyes-only one. */
  readonly landmarker?: FaceLandmarker | null;
  readonly imageLimits?: FaceImageLimits;
}

export class FacePipeline {
  readonly model: string;
  /** The distance below which a face matches a template. */
  readonly threshold: number;
  private readonly aligner: FaceChipAligner;

  constructor(
    private readonly detector: FaceDetector,
    private readonly embedder: FaceEmbedder,
    private readonly options: FacePipelineOptions = {},
  ) {
    this.model = `${embedder.manifest.id}@${embedder.manifest.version}`;
    this.threshold = options.matchThreshold ?? embedder.manifest.thresholds.matchDistance ?? 0.6;
    this.aligner = new FaceChipAligner(embedder.chipSize, options.landmarker ?? null);
  }

  /** "landmarks68" or "eyes": how chips are placed (the calibration names the one it was measured with). */
  get alignment(): string {
    return this.aligner.method;
  }

  async analyse(frame: Buffer): Promise<FrameAnalysis> {
    const decoded = await decodeFaceImage(frame, this.options.imageLimits ?? DEFAULT_IMAGE_LIMITS);
    if (!decoded.ok) return { verdict: { ok: false, reason: "unreadable_image", measures: null }, descriptor: null, landmarks: null, imageError: decoded.error };
    const image = decoded.image;
    const quality = this.options.quality ?? DEFAULT_QUALITY;
    const detected = judgeDetections(await this.detector.detect(image), image.width, quality);
    if (!detected.ok) return { verdict: detected, descriptor: null, landmarks: null, imageError: null };
    const aligned = await this.aligner.align(image, detected.face);
    if (aligned === null) return { verdict: { ok: false, reason: "no_face", measures: null }, descriptor: null, landmarks: null, imageError: null };
    const verdict = judgeChip(detected, aligned.chip, this.embedder.chipSize, quality);
    const landmarks = aligned.landmarks;
    return { verdict, descriptor: verdict.ok ? await this.embedder.embed(aligned.chip) : null, landmarks, imageError: null };
  }

  async enrol(frames: readonly Buffer[], personRef: string, store: TemplateStore, now = Date.now()): Promise<EnrolmentResult> {
    const descriptors: Float32Array[] = [];
    const rejections: QualityRejection[] = [];
    for (const frame of frames) {
      const analysis = await this.analyse(frame);
      if (analysis.descriptor !== null) descriptors.push(analysis.descriptor);
      else if (!analysis.verdict.ok) rejections.push(analysis.verdict.reason);
    }
    const minFrames = this.options.minEnrolmentFrames ?? 3;
    if (descriptors.length < minFrames) return { ok: false, reason: "too_few_good_frames", goodFrames: descriptors.length, rejections };
    const mean = new Float32Array(descriptors[0]?.length ?? 0);
    for (const d of descriptors) d.forEach((v, i) => (mean[i] = (mean[i] ?? 0) + v / descriptors.length));
    // Unit-length descriptors average to a shorter vector: the template is put back on the sphere.
    if (this.embedder.processing.normalisation === "l2") l2Normalised(mean);
    // Frames of two different people must not average into one template: every pair of frames must
    // be close. The margin (1.25 x the match threshold) spares one person's ordinary variation (LFW
    // photos of one person taken years apart stay under 0.65) and catches a second person (0.8+).
    const spread = Math.max(0, ...descriptors.flatMap((d, i) => descriptors.slice(i + 1).map((e) => euclideanDistance(d, e))));
    if (spread > 1.25 * this.threshold) {
      return { ok: false, reason: "inconsistent_frames", goodFrames: descriptors.length, rejections };
    }
    const duplicateOf = closestMatches(
      store.all(this.model).filter((t) => t.personRef !== personRef),
      [mean],
      this.threshold,
    );
    const template: FaceTemplate = { personRef, model: this.model, descriptor: mean, frames: descriptors.length, enrolledAt: now };
    store.put(template);
    return { ok: true, template, duplicateOf };
  }

  /**
   * Looks at frames in order until one matches or the budget is spent; decides on the closest good
   * one. At a mismatch it also asks whose face it is (1:N over the store's other templates of this
   * model), and with `watchFaces` it says whether the face is one on the watch list.
   */
  async verify(frames: readonly Buffer[], personRef: string, store: TemplateStore, options: VerifyOptions = {}): Promise<VerificationResult> {
    const template = store.get(personRef, this.model);
    if (template === undefined) return { outcome: "not_enrolled", framesUsed: 0 };
    const budgetMs = options.budgetMs ?? 1500;
    const started = performance.now();
    let best = Number.POSITIVE_INFINITY;
    let used = 0;
    const seen: Float32Array[] = [];
    const rejections = new Map<QualityRejection, number>();
    for (const frame of frames) {
      if (used > 0 && performance.now() - started > budgetMs) break;
      used++;
      const analysis = await this.analyse(frame);
      if (analysis.descriptor === null) {
        if (!analysis.verdict.ok) rejections.set(analysis.verdict.reason, (rejections.get(analysis.verdict.reason) ?? 0) + 1);
        continue;
      }
      seen.push(analysis.descriptor);
      best = Math.min(best, euclideanDistance(analysis.descriptor, template.descriptor));
      if (best < this.threshold) break;
    }
    if (best === Number.POSITIVE_INFINITY) {
      const coaching = [...rejections.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
      return { outcome: "no_face", coaching, framesUsed: used };
    }
    const outcome = best < this.threshold ? "verified" : "face_mismatch";
    const watched = (options.watchFaces ?? []).flatMap((ref) => {
      const face = store.get(ref, this.model);
      return face === undefined ? [] : [face];
    });
    const watchListedFace = closestMatches(watched, seen, this.threshold)[0] ?? null;
    const others = outcome === "face_mismatch" ? store.all(this.model).filter((t) => t.personRef !== personRef) : [];
    const identifiedAs = closestMatches(others, seen, this.threshold)[0] ?? (watchListedFace !== null && watchListedFace.personRef !== personRef ? watchListedFace : null);
    return { outcome, distance: best, threshold: this.threshold, framesUsed: used, model: this.model, identifiedAs, watchListedFace };
  }
}

/**
 * The templates any of `descriptors` falls within `threshold` of, closest first (a template's
 * distance is its smallest to any descriptor): the 1:N search behind one face under two cards, whose
 * face a mismatch was, and a watch-listed face.
 */
export function closestMatches(templates: readonly FaceTemplate[], descriptors: readonly Float32Array[], threshold: number): TemplateMatch[] {
  return templates
    .map((t) => ({ personRef: t.personRef, distance: Math.min(...descriptors.map((d) => euclideanDistance(t.descriptor, d))) }))
    .filter((t) => t.distance < threshold)
    .sort((a, b) => a.distance - b.distance);
}
