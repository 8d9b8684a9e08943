import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alignFace } from "./face-aligner.js";
import { FaceDetector } from "./face-detector.js";
import { euclideanDistance, FaceEmbedder } from "./face-embedder.js";

/**
 * detect → align → embed on the LFW development pairs (../shared/faces): the whole recognition path
 * a box runs, measured against the fixed centre crop it replaces.
 */
const BUILD = fileURLToPath(new URL("../../models/build/", import.meta.url));
const FACES = fileURLToPath(new URL("../../../shared/faces/", import.meta.url));
let detector: FaceDetector;
let embedder: FaceEmbedder;

beforeAll(async () => {
  detector = await FaceDetector.load(join(BUILD, "blazeface-back-256.manifest.json"), join(BUILD, "blazeface-back-256.onnx"));
  embedder = await FaceEmbedder.load(join(BUILD, "dlib-resnet-v1.manifest.json"), join(BUILD, "dlib-resnet-v1.onnx"));
});
afterAll(async () => {
  await detector.close();
  await embedder.close();
});

async function descriptors(path: string): Promise<{ aligned: Float32Array | null; centre: Float32Array }> {
  const bytes = readFileSync(path);
  const { data, info } = await sharp(bytes).toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  const centre = await embedder.embed(await sharp(bytes).extract({ left: 50, top: 50, width: 150, height: 150 }).toColourspace("srgb").raw().toBuffer());
  const face = (await detector.detect(bytes))[0];
  const [rightEye, leftEye] = face?.keypoints ?? [];
  if (rightEye === undefined || leftEye === undefined) return { aligned: null, centre };
  return { aligned: await embedder.embed(alignFace({ data, width: info.width, height: info.height }, rightEye, leftEye, 150)), centre };
}

function accuracyAt(scored: readonly { d: number; same: boolean }[], threshold: number): number {
  return scored.filter(({ d, same }) => d < threshold === same).length / scored.length;
}

describe("face verification on LFW pairs", () => {
  it("aligned descriptors verify better than the centre crop, above 95 % at the manifest's threshold", { timeout: 180_000 }, async () => {
    const lines = readFileSync(join(FACES, "pairs-dev.txt"), "utf8").trim().split("\n").slice(1);
    // Fold 2 (lines 600..1199): 100 matched and 100 mismatched pairs.
    const sample = [...lines.slice(600, 700), ...lines.slice(900, 1000)];
    const file = (name: string, n: string): string => join(FACES, "lfw", name, `${name}_${n.padStart(4, "0")}.jpg`);
    const aligned: { d: number; same: boolean }[] = [];
    const centre: { d: number; same: boolean }[] = [];
    for (const line of sample) {
      const f = line.split("\t");
      const same = f.length === 3;
      const [a, b] = same ? [file(f[0] ?? "", f[1] ?? ""), file(f[0] ?? "", f[2] ?? "")] : [file(f[0] ?? "", f[1] ?? ""), file(f[2] ?? "", f[3] ?? "")];
      const [da, db] = [await descriptors(a), await descriptors(b)];
      centre.push({ d: euclideanDistance(da.centre, db.centre), same });
      aligned.push({ d: da.aligned === null || db.aligned === null ? Number.POSITIVE_INFINITY : euclideanDistance(da.aligned, db.aligned), same });
    }
    const threshold = embedder.manifest.thresholds.matchDistance ?? 0.6;
    expect(accuracyAt(aligned, threshold)).toBeGreaterThan(0.95);
    expect(accuracyAt(aligned, threshold)).toBeGreaterThan(accuracyAt(centre, threshold));
  });
});
