import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { alignFace } from "../../device/face/face-aligner.js";
import { FaceDetector } from "../../device/face/face-detector.js";
import { euclideanDistance, FaceEmbedder } from "../../device/face/face-embedder.js";

/**
 * npm run bench:face [-- --folds 5 --json]
 *
 * The recognition path a box runs (BlazeFace → eye alignment → dlib ResNet) on the LFW development
 * pairs (../shared/faces, grayscale): accuracy by 5-fold cross-validation (threshold chosen on four
 * folds, measured on the fifth), AUC, EER, TAR at FAR 1e-2 and 1e-3 with the number of impostor pairs
 * behind each, detection misses, and milliseconds per stage on one thread.
 */
const { values } = parseArgs({ options: { folds: { type: "string", default: "5" }, json: { type: "boolean", default: false } } });
const FOLDS = Number(values.folds);
const BUILD = fileURLToPath(new URL("../../models/build/", import.meta.url));
const FACES = fileURLToPath(new URL("../../../shared/faces/", import.meta.url));

const detector = await FaceDetector.load(join(BUILD, "blazeface-back-256.manifest.json"), join(BUILD, "blazeface-back-256.onnx"));
const embedder = await FaceEmbedder.load(join(BUILD, "dlib-resnet-v1.manifest.json"), join(BUILD, "dlib-resnet-v1.onnx"));
const timings = { decode: 0, detect: 0, align: 0, embed: 0, images: 0 };
let misses = 0;
const cache = new Map<string, Float32Array>();

async function descriptor(path: string): Promise<Float32Array> {
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  const bytes = readFileSync(path);
  const t0 = performance.now();
  const { data, info } = await sharp(bytes).toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  const t1 = performance.now();
  const face = (await detector.detect(bytes))[0];
  const t2 = performance.now();
  const [rightEye, leftEye] = face?.keypoints ?? [];
  let chip: Uint8Array;
  if (rightEye === undefined || leftEye === undefined) {
    // No face found: fall back to where LFW centres faces, and count the miss.
    misses++;
    chip = await sharp(bytes).extract({ left: 50, top: 50, width: 150, height: 150 }).toColourspace("srgb").raw().toBuffer();
  } else {
    chip = alignFace({ data, width: info.width, height: info.height }, rightEye, leftEye, 150);
  }
  const t3 = performance.now();
  const d = await embedder.embed(chip);
  const t4 = performance.now();
  timings.decode += t1 - t0;
  timings.detect += t2 - t1;
  timings.align += t3 - t2;
  timings.embed += t4 - t3;
  timings.images++;
  cache.set(path, d);
  return d;
}

interface Scored {
  readonly d: number;
  readonly same: boolean;
  readonly fold: number;
}
const lines = readFileSync(join(FACES, "pairs-dev.txt"), "utf8").trim().split("\n").slice(1, 1 + 600 * FOLDS);
const file = (name: string, n: string): string => join(FACES, "lfw", name, `${name}_${n.padStart(4, "0")}.jpg`);
const scored: Scored[] = [];
for (const [i, line] of lines.entries()) {
  const f = line.split("\t");
  const same = f.length === 3;
  const [a, b] = same ? [file(f[0] ?? "", f[1] ?? ""), file(f[0] ?? "", f[2] ?? "")] : [file(f[0] ?? "", f[1] ?? ""), file(f[2] ?? "", f[3] ?? "")];
  scored.push({ d: euclideanDistance(await descriptor(a), await descriptor(b)), same, fold: Math.floor(i / 600) });
  if (i % 300 === 299) process.stderr.write(`\r${i + 1}/${lines.length} pairs`);
}
process.stderr.write("\n");

const accuracy = (set: readonly Scored[], t: number): number => set.filter(({ d, same }) => d < t === same).length / set.length;
const thresholds = Array.from({ length: 121 }, (_, i) => 0.3 + i * 0.005);
const foldAccuracies: number[] = [];
const chosen: number[] = [];
for (let fold = 0; fold < FOLDS; fold++) {
  const train = scored.filter((s) => s.fold !== fold);
  const test = scored.filter((s) => s.fold === fold);
  const best = thresholds.reduce((a, t) => (accuracy(train, t) > accuracy(train, a) ? t : a), thresholds[0] ?? 0.6);
  chosen.push(best);
  foldAccuracies.push(accuracy(test, best));
}
const mean = foldAccuracies.reduce((a, b) => a + b, 0) / foldAccuracies.length;
const sd = Math.sqrt(foldAccuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / foldAccuracies.length);
const genuine = scored.filter((s) => s.same).map((s) => s.d).sort((a, b) => a - b);
const impostor = scored.filter((s) => !s.same).map((s) => s.d).sort((a, b) => a - b);
// AUC: probability a genuine pair is closer than an impostor pair.
let wins = 0;
for (const g of genuine) for (const i of impostor) wins += g < i ? 1 : g === i ? 0.5 : 0;
const auc = wins / (genuine.length * impostor.length);
const far = (t: number): number => impostor.filter((d) => d < t).length / impostor.length;
const frr = (t: number): number => genuine.filter((d) => d >= t).length / genuine.length;
const eerT = thresholds.reduce((a, t) => (Math.abs(far(t) - frr(t)) < Math.abs(far(a) - frr(a)) ? t : a), 0.6);
const tarAt = (target: number): number => {
  // Largest threshold whose false-accept rate stays within the target.
  const allowed = Math.floor(target * impostor.length);
  const t = impostor[allowed] ?? Number.POSITIVE_INFINITY;
  return genuine.filter((d) => d < t).length / genuine.length;
};
const perImage = (ms: number): number => ms / Math.max(1, timings.images);
const manifestThreshold = embedder.manifest.thresholds.matchDistance ?? 0.6;
const result = {
  pairs: scored.length,
  images: timings.images,
  accuracyMean: mean,
  accuracySd: sd,
  thresholds: chosen,
  accuracyAtManifestThreshold: accuracy(scored, manifestThreshold),
  auc,
  eer: (far(eerT) + frr(eerT)) / 2,
  tarAtFar1e2: tarAt(1e-2),
  tarAtFar1e3: tarAt(1e-3),
  impostorPairs: impostor.length,
  detectionMisses: misses,
  msPerImage: { decode: perImage(timings.decode), detect: perImage(timings.detect), align: perImage(timings.align), embed: perImage(timings.embed) },
};
const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
process.stdout.write(
  [
    "",
    `face verification: BlazeFace → eye alignment → dlib ResNet, LFW grayscale, ${FOLDS} folds (${scored.length} pairs, ${timings.images} images)`,
    "",
    `  accuracy (threshold chosen on the other folds)  ${pct(mean)} ± ${pct(sd)}   thresholds ${chosen.map((t) => t.toFixed(3)).join(" ")}`,
    `  accuracy at the manifest threshold ${manifestThreshold}      ${pct(result.accuracyAtManifestThreshold)}`,
    `  AUC ${result.auc.toFixed(4)}   EER ${pct(result.eer)}`,
    `  TAR @ FAR 1e-2  ${pct(result.tarAtFar1e2)}   TAR @ FAR 1e-3  ${pct(result.tarAtFar1e3)}  (over ${impostor.length} impostor pairs: FAR 1e-3 rests on ${Math.floor(impostor.length * 1e-3)} false accepts)`,
    `  no face detected                                 ${misses} of ${timings.images} images`,
    `  ms per image, one thread: decode ${result.msPerImage.decode.toFixed(1)}, detect ${result.msPerImage.detect.toFixed(1)}, align ${result.msPerImage.align.toFixed(1)}, embed ${result.msPerImage.embed.toFixed(1)}`,
    "",
  ].join("\n"),
);
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
await detector.close();
await embedder.close();
