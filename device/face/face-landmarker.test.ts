import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alignFace } from "./face-aligner.js";
import { FaceDetector } from "./face-detector.js";
import { FaceLandmarker } from "./face-landmarker.js";
import { eyeOpenness, yawFromLandmarks } from "./face-measures.js";

/** Landmarks on real faces: open eyes measure open, and a mirrored face turns the other way. */
const BUILD = fileURLToPath(new URL("../../models/build/", import.meta.url));
const LFW = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));
let detector: FaceDetector;
let landmarker: FaceLandmarker;

beforeAll(async () => {
  detector = await FaceDetector.load(join(BUILD, "blazeface-back-256.manifest.json"), join(BUILD, "blazeface-back-256.onnx"));
  landmarker = await FaceLandmarker.load(join(BUILD, "face-landmark-68.manifest.json"), join(BUILD, "face-landmark-68.onnx"));
});
afterAll(async () => {
  await detector.close();
  await landmarker.close();
});

async function measure(image: Buffer): Promise<{ openness: number; yaw: number } | null> {
  const { data, info } = await sharp(image).toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  const [rightEye, leftEye] = (await detector.detect(image))[0]?.keypoints ?? [];
  if (rightEye === undefined || leftEye === undefined) return null;
  const points = await landmarker.landmarks(alignFace({ data, width: info.width, height: info.height }, rightEye, leftEye, landmarker.chipSize));
  return { openness: eyeOpenness(points), yaw: yawFromLandmarks(points) };
}

const images = readdirSync(LFW)
  .sort()
  .filter((_, i) => i % 40 === 9)
  .map((name) => readFileSync(join(LFW, name, readdirSync(join(LFW, name)).sort()[0] ?? "")));

describe("68-point landmarks on LFW", () => {
  it("measure open eyes as open in news photographs", { timeout: 60_000 }, async () => {
    const measures = (await Promise.all(images.map(measure))).filter((m) => m !== null);
    expect(measures.length).toBeGreaterThan(45);
    expect(measures.filter((m) => m.openness > 0.18).length / measures.length).toBeGreaterThan(0.9);
  });

  it("read a mirrored face as turned the other way", { timeout: 60_000 }, async () => {
    let agree = 0;
    let turned = 0;
    for (const image of images) {
      const straight = await measure(image);
      const mirrored = await measure(await sharp(image).flop().jpeg({ quality: 95 }).toBuffer());
      if (straight === null || mirrored === null || Math.abs(straight.yaw) < 0.1) continue;
      turned++;
      if (Math.sign(straight.yaw) === -Math.sign(mirrored.yaw) && Math.abs(straight.yaw + mirrored.yaw) < 0.1) agree++;
    }
    expect(turned).toBeGreaterThan(5);
    expect(agree / turned).toBeGreaterThan(0.9);
  });
});
