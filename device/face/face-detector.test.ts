import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaceDetector, FaceModelError } from "./face-detector.js";

/**
 * The detector on real faces: the LFW development images in ../shared/faces (250x250 grayscale,
 * one centred face each). Needs models/build, which `npm install` produces (prepare).
 */
const BUILD = fileURLToPath(new URL("../../models/build/", import.meta.url));
const MANIFEST = join(BUILD, "blazeface-back-256.manifest.json");
const ONNX = join(BUILD, "blazeface-back-256.onnx");
const LFW = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));

let detector: FaceDetector;
beforeAll(async () => {
  detector = await FaceDetector.load(MANIFEST, ONNX);
});
afterAll(async () => {
  await detector.close();
});

/** Every 10th identity's first image: 209 faces, spread over the alphabet. */
function sampleImages(): string[] {
  return readdirSync(LFW)
    .sort()
    .filter((_, i) => i % 10 === 0)
    .map((name) => join(LFW, name, readdirSync(join(LFW, name)).sort()[0] ?? ""));
}

describe("face detector (BlazeFace on onnxruntime-node)", () => {
  it("finds the one centred face in nearly every LFW image, with eyes above the nose and mouth", { timeout: 60_000 }, async () => {
    const images = sampleImages();
    let found = 0;
    for (const path of images) {
      const faces = await detector.detect(readFileSync(path));
      const face = faces[0];
      if (face === undefined) continue;
      found++;
      const [rightEye, leftEye, nose, mouth] = face.keypoints;
      // LFW crops put the face near the middle of the 250 px frame.
      expect(Math.abs(face.x + face.width / 2 - 125), path).toBeLessThan(45);
      expect(face.width, path).toBeGreaterThan(60);
      // The subject's right eye appears on the image's left.
      expect(rightEye?.x ?? 0, path).toBeLessThan(leftEye?.x ?? 0);
      expect(Math.max(rightEye?.y ?? 0, leftEye?.y ?? 0), path).toBeLessThan(nose?.y ?? 0);
      expect(nose?.y ?? 0, path).toBeLessThan(mouth?.y ?? 0);
    }
    expect(found / images.length).toBeGreaterThanOrEqual(0.98);
  });

  it("finds no face in a blank frame or in noise", async () => {
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toBuffer();
    expect(await detector.detect(blank)).toEqual([]);
    const noise = new Uint8Array(320 * 240 * 3);
    let seed = 12345;
    for (let i = 0; i < noise.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      noise[i] = seed % 256;
    }
    expect(await detector.detect({ data: noise, width: 320, height: 240, channels: 3 })).toEqual([]);
  });

  it("maps detections back to image pixels in a wide frame (letterboxed input)", async () => {
    const path = sampleImages()[3] ?? "";
    const square = await detector.detect(readFileSync(path));
    const wide = await sharp(readFileSync(path)).extend({ left: 150, right: 0, top: 0, bottom: 0, background: { r: 0, g: 0, b: 0 } }).jpeg({ quality: 95 }).toBuffer();
    const shifted = await detector.detect(wide);
    expect(shifted).toHaveLength(1);
    expect(shifted[0]?.x ?? 0).toBeCloseTo((square[0]?.x ?? 0) + 150, -1);
    expect(shifted[0]?.keypoints[2]?.y ?? 0).toBeCloseTo(square[0]?.keypoints[2]?.y ?? 0, -1);
  });

  it("refuses a model file whose checksum differs from its manifest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cw-model-"));
    try {
      const tampered = join(dir, "model.onnx");
      copyFileSync(ONNX, tampered);
      const bytes = readFileSync(tampered);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
      writeFileSync(tampered, bytes);
      await expect(FaceDetector.load(MANIFEST, tampered)).rejects.toThrow(FaceModelError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
