import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alignFace } from "./face-aligner.js";
import { FaceDetector } from "./face-detector.js";
import { judgeChip, judgeDetections, type QualityVerdict } from "./quality-gates.js";

const BUILD = fileURLToPath(new URL("../../models/build/", import.meta.url));
const LFW = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));
let detector: FaceDetector;
beforeAll(async () => {
  detector = await FaceDetector.load(join(BUILD, "blazeface-back-256.manifest.json"), join(BUILD, "blazeface-back-256.onnx"));
});
afterAll(async () => {
  await detector.close();
});

async function judge(image: Buffer): Promise<QualityVerdict> {
  const { data, info } = await sharp(image).toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  const verdict = judgeDetections(await detector.detect(image), info.width);
  if (!verdict.ok) return verdict;
  const [rightEye, leftEye] = verdict.face.keypoints;
  if (rightEye === undefined || leftEye === undefined) throw new Error("keypoints missing");
  return judgeChip(verdict, alignFace({ data, width: info.width, height: info.height }, rightEye, leftEye, 150), 150);
}

function reason(verdict: QualityVerdict): string {
  return verdict.ok ? "ok" : verdict.reason;
}

const faces = readdirSync(LFW)
  .sort()
  .filter((_, i) => i % 35 === 17)
  .map((name) => readFileSync(join(LFW, name, readdirSync(join(LFW, name)).sort()[0] ?? "")));

describe("quality gates", () => {
  it("let ordinary LFW faces through", { timeout: 60_000 }, async () => {
    const verdicts = await Promise.all(faces.map(judge));
    expect(faces.length).toBeGreaterThan(50);
    expect(verdicts.filter((v) => v.ok).length / verdicts.length).toBeGreaterThan(0.95);
  });

  it("say why a frame is unusable: blur, darkness, tilt, distance, no face, two faces", async () => {
    const face = faces[3] ?? Buffer.alloc(0);
    expect(reason(await judge(face))).toBe("ok");
    // Sharpness is absolute (LFW itself is soft), so the test blurs hard: sigma 4.
    expect(reason(await judge(await sharp(face).blur(4).jpeg().toBuffer()))).toBe("too_blurry");
    expect(reason(await judge(await sharp(face).linear(0.15, 0).jpeg().toBuffer()))).toBe("too_dark");
    expect(reason(await judge(await sharp(face).rotate(32, { background: "#000" }).jpeg().toBuffer()))).toBe("head_tilted");
    const far = await sharp(face).resize(60, 60).extend({ left: 100, right: 100, top: 100, bottom: 100, background: "#808080" }).jpeg().toBuffer();
    expect(reason(await judge(far))).toBe("too_far");
    const blank = await sharp({ create: { width: 250, height: 250, channels: 3, background: "#777" } }).jpeg().toBuffer();
    expect(reason(await judge(blank))).toBe("no_face");
    const two = await sharp({ create: { width: 500, height: 250, channels: 3, background: "#000" } })
      .composite([
        { input: face, left: 0, top: 0 },
        { input: faces[5] ?? face, left: 250, top: 0 },
      ])
      .jpeg()
      .toBuffer();
    expect(reason(await judge(two))).toBe("several_faces");
  });
});
