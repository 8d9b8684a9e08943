import { readFileSync } from "node:fs";
import { assessPassiveLiveness } from "../../device/face/passive-liveness/index.js";
import { FaceChipAligner } from "../../device/face/face-chip-aligner.js";
import { dlibSamplingTransform, warpChip, type RgbImage } from "../../device/face/face-aligner.js";
import type { FaceBox, FaceDetector } from "../../device/face/face-detector.js";
import { euclideanDistance, type FaceEmbedder } from "../../device/face/face-embedder.js";
import { decodeFaceImage } from "../../device/face/face-image.js";
import type { FaceLandmarker } from "../../device/face/face-landmarker.js";
import { judgeDetections, type QualityThresholds } from "../../device/face/quality-gates.js";
import type { BenchPair } from "./face-dataset.js";

/**
 * The benchmark's per-image work, stage by stage as a box runs it on one frame: decode → detect →
 * align (the landmark model and the warp) → embed → passive liveness cues. Each stage is timed
 * on its own; descriptors are cached per image, so an image in several pairs is processed once.
 */
export const STAGES = ["decode", "detect", "align", "embed", "liveness"] as const;
export type Stage = (typeof STAGES)[number];

export interface RunnerOptions {
  readonly detector: FaceDetector;
  readonly embedder: FaceEmbedder;
  readonly landmarker: FaceLandmarker | null;
}

export interface ScoredBenchPair extends BenchPair {
  readonly distance: number;
}

export interface RunResult {
  readonly scored: readonly ScoredBenchPair[];
  readonly images: number;
  readonly noFace: number;
  readonly unreadable: readonly { path: string; reason: string }[];
  readonly timings: Readonly<Record<Stage, number[]>>;
  /** CPU time of this process per stage (all threads): on a shared machine, closer to what the stage costs than wall time. */
  readonly cpuTimings: Readonly<Record<Stage, number[]>>;
}

export class FaceBenchRunner {
  private readonly aligner: FaceChipAligner;
  private readonly cache = new Map<string, Float32Array | null>();
  private readonly timings: Record<Stage, number[]> = { decode: [], detect: [], align: [], embed: [], liveness: [] };
  private readonly cpuTimings: Record<Stage, number[]> = { decode: [], detect: [], align: [], embed: [], liveness: [] };
  private readonly unreadable: { path: string; reason: string }[] = [];
  private noFace = 0;

  constructor(private readonly options: RunnerOptions) {
    this.aligner = new FaceChipAligner(options.embedder.chipSize, options.landmarker);
  }

  get alignment(): string {
    return this.aligner.method;
  }

  async run(pairs: readonly BenchPair[], progress: (done: number) => void): Promise<RunResult> {
    const scored: ScoredBenchPair[] = [];
    for (const [i, pair] of pairs.entries()) {
      const a = await this.descriptor(pair.a);
      const b = await this.descriptor(pair.b);
      // An unreadable image cannot be scored: the pair counts as a wrong answer either way.
      const distance = a === null || b === null ? (pair.same ? Number.POSITIVE_INFINITY : 0) : euclideanDistance(a, b);
      scored.push({ ...pair, distance });
      if (i % 100 === 99) progress(i + 1);
    }
    return { scored, images: this.cache.size, noFace: this.noFace, unreadable: this.unreadable, timings: this.timings, cpuTimings: this.cpuTimings };
  }

  /** Runs one image without recording it, so the first measured frame is not a cold start. */
  async warmUp(path: string): Promise<void> {
    await this.descriptor(path);
    this.cache.clear();
    for (const stage of [...Object.values(this.timings), ...Object.values(this.cpuTimings)]) stage.length = 0;
    this.noFace = 0;
  }

  private async descriptor(path: string): Promise<Float32Array | null> {
    const hit = this.cache.get(path);
    if (hit !== undefined) return hit;
    const bytes = readFileSync(path);
    let t = performance.now();
    let cpu = process.cpuUsage();
    const lap = (stage: Stage): void => {
      const now = performance.now();
      const used = process.cpuUsage(cpu);
      this.timings[stage].push(now - t);
      this.cpuTimings[stage].push((used.user + used.system) / 1000);
      t = now;
      cpu = process.cpuUsage();
    };
    const decoded = await decodeFaceImage(bytes);
    if (!decoded.ok) {
      this.unreadable.push({ path, reason: `${decoded.error.code}: ${decoded.error.message}` });
      this.cache.set(path, null);
      return null;
    }
    const image = decoded.image;
    lap("decode");
    const face = boxChoice(await this.options.detector.detect(image), image.width);
    lap("detect");
    let chip: Uint8Array;
    if (face === undefined) {
      this.noFace++;
      chip = centreChip(image, this.options.embedder.chipSize);
    } else {
      chip = (await this.aligner.align(image, face))?.chip ?? centreChip(image, this.options.embedder.chipSize);
    }
    lap("align");
    // The embedder's processing (flip, L2) is part of the embed stage, as on a box.
    const descriptor = await this.options.embedder.embed(chip);
    lap("embed");
    if (face !== undefined) {
      assessPassiveLiveness([{ image, face }]);
      lap("liveness");
    }
    this.cache.set(path, descriptor);
    return descriptor;
  }
}

/**
 * Every gate open: LFW's protocol scores every pair, so the bench keeps frames a box would send back
 * for coaching ("several faces", "turn to the camera"), but it must embed the face a box would pick.
 */
const OPEN_GATES: QualityThresholds = {
  minEyeDistancePx: 0,
  maxEyeDistanceShare: Number.POSITIVE_INFINITY,
  maxYaw: Number.POSITIVE_INFINITY,
  maxRollDeg: Number.POSITIVE_INFINITY,
  minSharpness: 0,
  minBrightness: 0,
  maxBrightness: 255,
  secondFaceShare: Number.POSITIVE_INFINITY,
};

/**
 * The face the box judges (judgeDetections: the highest score x width), not the detector's first.
 * They differ in 7 of the 3,811 LFW images; taking the detector's first cost 0.13 % accuracy there.
 */
export function boxChoice(faces: readonly FaceBox[], imageWidth: number): FaceBox | undefined {
  const verdict = judgeDetections(faces, imageWidth, OPEN_GATES);
  return verdict.ok ? verdict.face : undefined;
}

/**
 * Where no face is found, the pair is still scored (LFW's protocol scores every pair): a chip from
 * the centre square of 0.6 x the shorter side, which for LFW's 250 px images is the 150 px square
 * its faces are centred in.
 */
function centreChip(image: RgbImage, size: number): Uint8Array {
  const side = 0.6 * Math.min(image.width, image.height);
  const scale = side / size;
  return warpChip(image, dlibSamplingTransform({ a: scale, b: 0, tx: (image.width - side) / 2, ty: (image.height - side) / 2 }, size), size);
}
