import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { EyeContourModel, chipPointsToImage, eyeCropTransform, lidOpenness, sampleEyeCrop } from "./eye-contour.js";
import { alignFace, chipToImage, type ChipTransform } from "./face-aligner.js";
import { FaceDetector } from "./face-detector.js";
import { decodeFaceImage } from "./face-image.js";
import { FaceLandmarker } from "./face-landmarker.js";
import { eyeOpenness } from "./face-measures.js";
import { DEFAULT_CHALLENGE } from "./liveness-challenge.js";

/**
 * Eyelid openness on real closed eyes: LFW images labelled open or closed by eye
 * (test/fixtures/lfw-eye-state-labels.json, file names only). The iris model's lid gap must
 * separate them with one threshold, and a closed photo must read as a blink against the same
 * person's open photos by the blink challenge's rule; the 68-point eye aspect ratio, which the
 * challenge used before, is measured on the same images and must do clearly worse.
 */
const BUILD = fileURLToPath(new URL("../../models/build/", import.meta.url));
const LFW = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));
const LABELS = z
  .object({ labels: z.array(z.object({ file: z.string(), label: z.enum(["open", "closed", "unsure"]) })) })
  .parse(JSON.parse(readFileSync(fileURLToPath(new URL("../../test/fixtures/lfw-eye-state-labels.json", import.meta.url)), "utf8"))).labels;

describe("eye crop geometry and lid openness", () => {
  it("levels the crop on the corners, centred between them, 2.3 corner distances wide", () => {
    const at = (t: ChipTransform, u: number, v: number): { x: number; y: number } => ({ x: t.a * u - t.b * v + t.tx, y: t.b * u + t.a * v + t.ty });
    const level = eyeCropTransform({ x: 100, y: 50 }, { x: 120, y: 50 }, 64, 2.3);
    expect(at(level, 31.5, 31.5).x).toBeCloseTo(110, 10);
    expect(at(level, 31.5, 31.5).y).toBeCloseTo(50, 10);
    // 64 crop pixels span 2.3 x 20 image pixels, left to right along the corner line.
    expect(at(level, 63, 31.5).x - at(level, 0, 31.5).x).toBeCloseTo((46 * 63) / 64, 10);
    // A tilted eye: the crop's x axis runs along the corner line, its y axis down the face.
    const tilted = eyeCropTransform({ x: 0, y: 0 }, { x: 30, y: 40 }, 64, 2.3);
    const right = { x: at(tilted, 1, 0).x - at(tilted, 0, 0).x, y: at(tilted, 1, 0).y - at(tilted, 0, 0).y };
    const down = { x: at(tilted, 0, 1).x - at(tilted, 0, 0).x, y: at(tilted, 0, 1).y - at(tilted, 0, 0).y };
    expect(right.y / right.x).toBeCloseTo(40 / 30, 10);
    expect(right.x * down.x + right.y * down.y).toBeCloseTo(0, 10);
    expect(down.y).toBeGreaterThan(0);
  });

  it("crops the left eye mirrored: the same eye seen in a mirror gives the same crop as the right one", () => {
    // A synthetic face: a dark 'pupil' nearer each eye's outer corner, mirror-symmetric about x = 100.
    const width = 200;
    const data = new Uint8Array(width * 100 * 3).fill(200);
    for (const cx of [70, 130]) for (let y = 45; y < 55; y++) for (let x = cx - 5; x < cx + 5; x++) data.fill(20, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const image = { data, width, height: 100 };
    const right = sampleEyeCrop(image, { outer: { x: 60, y: 49.5 }, inner: { x: 85, y: 49.5 } }, false, 16, 2.3);
    const left = sampleEyeCrop(image, { outer: { x: 139, y: 49.5 }, inner: { x: 114, y: 49.5 } }, true, 16, 2.3);
    expect(Math.max(...right.map((v, i) => Math.abs(v - (left[i] ?? 0))))).toBeLessThanOrEqual(1);
    // The pupil is on the outer (left) half of both crops.
    const darkness = (crop: Uint8Array, u0: number, u1: number): number => {
      let sum = 0;
      for (let v = 0; v < 16; v++) for (let u = u0; u < u1; u++) sum += 255 - (crop[(v * 16 + u) * 3] ?? 0);
      return sum;
    };
    expect(darkness(right, 0, 8)).toBeGreaterThan(darkness(right, 8, 16));
  });

  it("measures the mean lid gap over the corner distance, and zero when the lids meet", () => {
    const lids = (gap: number): { lids: { x: number; y: number }[] } => ({
      lids: [
        ...Array.from({ length: 9 }, (_, i) => ({ x: 10 + 5 * i, y: 30 + (i === 0 || i === 8 ? 0 : gap / 2) })),
        ...Array.from({ length: 7 }, (_, k) => ({ x: 15 + 5 * k, y: 30 - gap / 2 })),
      ],
    });
    expect(lidOpenness(lids(12))).toBeCloseTo(12 / 40, 10);
    expect(lidOpenness(lids(0))).toBe(0);
  });
});

describe("eyelid openness on real open and closed eyes (LFW, labelled by eye)", () => {
  let detector: FaceDetector;
  let landmarker: FaceLandmarker;
  let eyes: EyeContourModel;
  beforeAll(async () => {
    detector = await FaceDetector.load(join(BUILD, "blazeface-back-256.manifest.json"), join(BUILD, "blazeface-back-256.onnx"));
    landmarker = await FaceLandmarker.load(join(BUILD, "face-landmark-68.manifest.json"), join(BUILD, "face-landmark-68.onnx"));
    eyes = await EyeContourModel.load(join(BUILD, "iris-landmark-64.manifest.json"), join(BUILD, "iris-landmark-64.onnx"));
  });
  afterAll(async () => {
    await Promise.all([detector.close(), landmarker.close(), eyes.close()]);
  });

  interface EyePair {
    /** Lid openness of the subject's right and left eye (iris model). */
    readonly eyes: readonly [number, number];
    /** The 68-point net's mean eye aspect ratio. */
    readonly ear68: number;
  }

  async function measureEyes(file: string): Promise<EyePair> {
    const decoded = await decodeFaceImage(readFileSync(join(LFW, file)));
    if (!decoded.ok) throw decoded.error;
    const [rightEye, leftEye] = (await detector.detect(decoded.image))[0]?.keypoints ?? [];
    if (rightEye === undefined || leftEye === undefined) throw new Error(`${file}: no face`);
    const chipPoints = await landmarker.landmarks(alignFace(decoded.image, rightEye, leftEye, landmarker.chipSize));
    const lids = await eyes.eyeOpenness(decoded.image, chipPointsToImage(chipPoints, chipToImage(rightEye, leftEye, landmarker.chipSize)));
    if (lids === null) throw new Error(`${file}: no eye corners`);
    return { eyes: lids, ear68: eyeOpenness(chipPoints) };
  }

  async function measure(file: string): Promise<{ lids: number; ear68: number }> {
    const { eyes: [right, left], ear68 } = await measureEyes(file);
    return { lids: (right + left) / 2, ear68 };
  }

  /** Share of (closed, open) pairs the measure orders correctly: 1 separates perfectly, 0.5 is chance. */
  function auc(closed: readonly number[], open: readonly number[]): number {
    let sum = 0;
    for (const c of closed) for (const o of open) sum += c < o ? 1 : c === o ? 0.5 : 0;
    return sum / (closed.length * open.length);
  }

  it("one lid-openness threshold separates closed from open eyes; the 68-point ratio does not", { timeout: 120_000 }, async () => {
    const closed: { lids: number; ear68: number }[] = [];
    const open: { lids: number; ear68: number }[] = [];
    for (const { file, label } of LABELS) {
      if (label === "unsure") continue;
      (label === "closed" ? closed : open).push(await measure(file));
    }
    expect(closed.length).toBeGreaterThanOrEqual(60);
    expect(open.length).toBeGreaterThanOrEqual(60);
    // Measured at 0.18: 58 of 65 closed eyes below, 59 of 65 open ones at or above (AUC 0.982). The open
    // set leans to narrow eyes: it holds the 68-point net's 40 lowest ratios; of 35 drawn at random, none is below 0.2.
    const threshold = 0.18;
    expect(closed.filter((m) => m.lids < threshold).length / closed.length).toBeGreaterThanOrEqual(0.85);
    expect(open.filter((m) => m.lids >= threshold).length / open.length).toBeGreaterThanOrEqual(0.85);
    const lidAuc = auc(
      closed.map((m) => m.lids),
      open.map((m) => m.lids),
    );
    const earAuc = auc(
      closed.map((m) => m.ear68),
      open.map((m) => m.ear68),
    );
    expect(lidAuc).toBeGreaterThan(0.97);
    expect(earAuc).toBeLessThan(lidAuc - 0.2);
  });

  it("a closed-eye photo reads as closed against the same person's open photos, as the blink challenge judges", { timeout: 120_000 }, async () => {
    // Per person with a labelled closed photo: each eye's baseline is its median over up to 8 of the
    // person's other photos (not labelled closed or unsure); a photo reads as closed when both eyes
    // fall below the challenge's closedShare of their baselines. Photos of other days and poses: a
    // harder test than frames of one burst.
    const labelOf = new Map(LABELS.map((l) => [l.file, l.label]));
    const closedShare = DEFAULT_CHALLENGE.closedShare;
    const median = (values: readonly number[]): number => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    };
    const readsClosed = (photo: EyePair, others: readonly EyePair[], measure: (p: EyePair) => readonly number[]): boolean =>
      measure(photo).every((value, eye) => value < closedShare * median(others.map((o) => measure(o)[eye] ?? 0)));
    const lids = (p: EyePair): readonly number[] => p.eyes;
    const ear = (p: EyePair): readonly number[] => [p.ear68];
    const persons = [...new Set(LABELS.filter((l) => l.label === "closed").map((l) => l.file.split("/")[0] ?? ""))].sort();
    const counts = { closed: 0, closedRead: 0, closedReadByEar: 0, open: 0, openRead: 0 };
    for (const person of persons) {
      const files = readdirSync(join(LFW, person))
        .filter((f) => f.endsWith(".jpg"))
        .sort()
        .map((f) => `${person}/${f}`);
      const openFiles = files.filter((f) => (labelOf.get(f) ?? "open") === "open").slice(0, 8);
      if (openFiles.length < 2) continue;
      // One at a time: each model reuses one input buffer.
      const open: EyePair[] = [];
      for (const file of openFiles) open.push(await measureEyes(file));
      for (const file of files.filter((f) => labelOf.get(f) === "closed")) {
        const photo = await measureEyes(file);
        counts.closed++;
        if (readsClosed(photo, open, lids)) counts.closedRead++;
        if (readsClosed(photo, open, ear)) counts.closedReadByEar++;
      }
      open.forEach((photo, i) => {
        counts.open++;
        if (readsClosed(photo, open.filter((_, j) => j !== i), lids)) counts.openRead++;
      });
    }
    // Measured: 17 of 26 closed photos read as closed (2 by the 68-point ratio), 4 of 109 open ones.
    // Across photos pose and light change too; within one burst only the lids should.
    expect(counts.closed).toBeGreaterThanOrEqual(20);
    expect(counts.closedRead / counts.closed).toBeGreaterThanOrEqual(0.6);
    expect(counts.openRead / counts.open).toBeLessThanOrEqual(0.08);
    expect(counts.closedReadByEar / counts.closed).toBeLessThan(0.2);
  });
});
