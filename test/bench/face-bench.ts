import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { FaceDetector } from "../../device/face/face-detector.js";
import { FaceEmbedder, type DescriptorProcessing } from "../../device/face/face-embedder.js";
import { FaceLandmarker } from "../../device/face/face-landmarker.js";
import {
  bestAccuracyThreshold,
  crossValidatedAccuracy,
  equalErrorRate,
  falseAcceptRate,
  falseRejectRate,
  percentiles,
  rocAuc,
  tarAtFar,
  type TarAtFar,
} from "../../device/face/verification-metrics.js";
import { CalibrationRecord } from "../../models/calibration-record.js";
import { FaceBenchRunner, STAGES, type Stage } from "./face-bench-runner.js";
import { listIdentities, readPairsList, samplePairs, type PairPlan } from "./face-dataset.js";

/**
 * npm run bench:face -- [--dataset DIR] [--pairs FILE] [--model NAME] [--json]
 *
 * Face verification as a box runs it (BlazeFace → 68-point landmarks → dlib's chip → recogniser →
 * passive liveness cues) over a folder of faces grouped by identity, on onnxruntime with one thread.
 * With an LFW-format pairs list, accuracy is cross-validated over its folds (threshold chosen on the
 * other folds); without one, every genuine pair of the folder is scored against a seeded sample of
 * impostor pairs, dealt into 10 folds. Prints pair counts, accuracy, AUC, EER, TAR at FAR 1e-2, 1e-3
 * and 1e-4 with their thresholds, detection failures, per-stage latency (p50/p95) and peak RSS;
 * `--json` adds one JSON object as the last line. `--write-calibration` records the thresholds and
 * figures in models/<model>/calibration.json, which the model build copies into the manifest.
 *
 * Other options: --align eyes|landmarks (default landmarks), --descriptor raw|l2|flip|flip+l2 (the
 * embedder's post-processing: average with the mirrored chip's descriptor, scale to unit length;
 * default: what the model's manifest was calibrated with), --seed, --impostors N and --folds N
 * (without a pairs list), --limit N (first N pairs, for quick runs while developing).
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUILD = join(ROOT, "models/build");
const SHARED = join(ROOT, "../shared/faces");
const FARS = [1e-2, 1e-3, 1e-4] as const;
const FAR_KEYS = ["1e-2", "1e-3", "1e-4"] as const;

const { values } = parseArgs({
  options: {
    dataset: { type: "string" },
    pairs: { type: "string" },
    model: { type: "string", default: "dlib-resnet-v1" },
    json: { type: "boolean", default: false },
    align: { type: "string", default: "landmarks" },
    descriptor: { type: "string" },
    seed: { type: "string", default: "carewitness-face-bench" },
    impostors: { type: "string", default: "20000" },
    folds: { type: "string", default: "10" },
    limit: { type: "string" },
    "write-calibration": { type: "boolean", default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`bench:face: ${message}\n`);
  process.exit(2);
}

// The defaults are the LFW development set beside the project; --dataset alone means "no pairs list".
const dataset = resolve(values.dataset ?? join(SHARED, "lfw"));
const pairsFile = values.pairs !== undefined ? resolve(values.pairs) : values.dataset === undefined ? join(SHARED, "pairs-dev.txt") : null;
if (values.align !== "landmarks" && values.align !== "eyes") fail(`--align must be "landmarks" or "eyes", not "${values.align}"`);
const DESCRIPTORS: Record<string, DescriptorProcessing> = {
  raw: { flip: false, normalisation: "none" },
  l2: { flip: false, normalisation: "l2" },
  flip: { flip: true, normalisation: "none" },
  "flip+l2": { flip: true, normalisation: "l2" },
};
const processing = values.descriptor === undefined ? {} : DESCRIPTORS[values.descriptor];
if (processing === undefined) fail(`--descriptor must be one of ${Object.keys(DESCRIPTORS).join(", ")}, not "${values.descriptor ?? ""}"`);
const manifestPath = join(BUILD, `${values.model}.manifest.json`);
if (!existsSync(manifestPath)) fail(`no model "${values.model}" in models/build (run npm run models:build)`);

let plan: PairPlan;
try {
  plan =
    pairsFile === null
      ? samplePairs(listIdentities(dataset), { seed: values.seed, impostors: Number(values.impostors), folds: Number(values.folds) })
      : readPairsList(readFileSync(pairsFile, "utf8"), dataset, relative(process.cwd(), pairsFile));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const pairs = values.limit === undefined ? plan.pairs : plan.pairs.slice(0, Number(values.limit));

// One thread everywhere: onnxruntime sessions are created with intraOpNumThreads 1, and libvips too.
sharp.concurrency(1);
const detector = await FaceDetector.load(join(BUILD, "blazeface-back-256.manifest.json"), join(BUILD, "blazeface-back-256.onnx"));
const embedder = await FaceEmbedder.load(manifestPath, join(BUILD, `${values.model}.onnx`), 1, processing);
const landmarker = values.align === "landmarks" ? await FaceLandmarker.load(join(BUILD, "face-landmark-68.manifest.json"), join(BUILD, "face-landmark-68.onnx")) : null;
const runner = new FaceBenchRunner({ detector, embedder, landmarker });
const { flip, normalisation } = embedder.processing;
const descriptorName = `${flip ? "flip-averaged" : "single chip"}, ${normalisation === "l2" ? "L2-normalised" : "raw"}`;
const descriptorKey = Object.entries(DESCRIPTORS).find(([, d]) => d.flip === flip && d.normalisation === normalisation)?.[0] ?? "raw";
const first = pairs[0];
if (first === undefined) fail("no pairs to score");
await runner.warmUp(first.a);
const started = performance.now();
const run = await runner.run(pairs, (done) => process.stderr.write(`\r${done}/${pairs.length} pairs`));
process.stderr.write(`\r${pairs.length}/${pairs.length} pairs in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
await Promise.all([detector.close(), embedder.close(), landmarker?.close()]);

// ---- statistics
const genuine = run.scored.filter((p) => p.same).map((p) => p.distance);
const impostor = run.scored.filter((p) => !p.same).map((p) => p.distance);
const folds = new Set(run.scored.map((p) => p.fold)).size;
const pairsForCv = run.scored.map((p) => ({ distance: p.distance, same: p.same, fold: p.fold }));
const cv = folds >= 2 ? crossValidatedAccuracy(pairsForCv) : null;
const overall = bestAccuracyThreshold(pairsForCv);
const auc = rocAuc(genuine, impostor);
const eer = equalErrorRate(genuine, impostor);
const tars = FARS.map((far) => tarAtFar(genuine, impostor, far));
const atBest = { far: falseAcceptRate(impostor, overall.threshold), frr: falseRejectRate(genuine, overall.threshold) };
const latency = Object.fromEntries(STAGES.map((s) => [s, round(percentiles(run.timings[s]), 2)])) as Record<Stage, { p50: number; p95: number }>;
// One frame as a box verifies it (the frame arrives decoded from the camera): detect + align + embed + liveness.
const frameMs = run.timings.detect.map((d, i) => d + (run.timings.align[i] ?? 0) + (run.timings.embed[i] ?? 0) + (run.timings.liveness[i] ?? 0));
const frame = round(percentiles(frameMs), 2);
const cpu = Object.fromEntries(STAGES.map((s) => [s, round(percentiles(run.cpuTimings[s]), 2)])) as Record<Stage, { p50: number; p95: number }>;
const frameCpu = round(percentiles(run.cpuTimings.detect.map((d, i) => d + (run.cpuTimings.align[i] ?? 0) + (run.cpuTimings.embed[i] ?? 0) + (run.cpuTimings.liveness[i] ?? 0))), 2);
const load = loadavg()[0] ?? 0;
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
const accuracy = cv?.mean ?? overall.accuracy;
const detectionFailureRate = run.noFace / Math.max(1, run.images);

const tarRecord = (pick: (t: TarAtFar) => number | null): Record<(typeof FAR_KEYS)[number], number | null> =>
  Object.fromEntries(tars.map((t, i) => [FAR_KEYS[i], pick(t)])) as Record<(typeof FAR_KEYS)[number], number | null>;
const result = {
  model: `${embedder.manifest.id}@${embedder.manifest.version}`,
  alignment: runner.alignment,
  flip,
  normalisation,
  dataset: relative(ROOT, dataset),
  pairsSource: plan.source,
  pairs: { total: run.scored.length, genuine: genuine.length, impostor: impostor.length, folds },
  images: run.images,
  accuracy: round(accuracy, 5),
  accuracyStandardError: cv === null ? null : round(cv.standardError, 5),
  accuracyThresholds: cv?.perFold.map((f) => round(f.threshold, 4)) ?? [round(overall.threshold, 4)],
  bestThresholdAllPairs: round(overall.threshold, 4),
  atBestThreshold: { far: round(atBest.far, 5), frr: round(atBest.frr, 5) },
  auc: round(auc, 5),
  eer: round(eer.eer, 5),
  eerThreshold: round(eer.threshold, 4),
  tar: tarRecord((t) => (t.tar === null ? null : round(t.tar, 5))),
  thresholds: tarRecord((t) => (t.threshold === null ? null : round(t.threshold, 4))),
  detectionFailureRate: round(detectionFailureRate, 5),
  noFace: run.noFace,
  unreadable: run.unreadable.length,
  latencyMs: { ...latency, frame },
  cpuMs: { ...cpu, frame: frameCpu },
  loadAverage: round(load, 2),
  peakRssMb,
};

// ---- human table
const pct = (x: number | null): string => (x === null ? "   n/a" : `${(100 * x).toFixed(2)} %`);
const ms = (p: { p50: number; p95: number }): string => `${p.p50.toFixed(1).padStart(9)} ${p.p95.toFixed(1).padStart(6)}`;
const lines = [
  "",
  `face verification: ${result.model}, alignment ${result.alignment}, descriptor ${descriptorName}, one thread`,
  `  dataset ${result.dataset}: ${plan.source}`,
  `  pairs ${result.pairs.total} (genuine ${genuine.length}, impostor ${impostor.length}) over ${folds} fold(s); ${run.images} images`,
  "",
  cv === null
    ? `  accuracy (best threshold, one fold)     ${pct(overall.accuracy)} at ${overall.threshold.toFixed(4)}`
    : `  accuracy (threshold from other folds)   ${pct(cv.mean)} ± ${pct(cv.standardError)} (standard error)   thresholds ${cv.perFold.map((f) => f.threshold.toFixed(3)).join(" ")}`,
  `  best threshold on all pairs             ${overall.threshold.toFixed(4)} (${pct(overall.accuracy)}; FAR ${pct(atBest.far)}, FRR ${pct(atBest.frr)})`,
  `  ROC AUC ${auc.toFixed(4)}   EER ${pct(eer.eer)} at ${eer.threshold.toFixed(4)}`,
  ...tars.map((t, i) => {
    const key = FAR_KEYS[i] ?? "";
    if (t.tar === null) return `  TAR @ FAR ${key}  n/a: ${t.impostorPairs} impostor pairs, a FAR of ${key} needs ${Math.ceil(1 / t.far)} or more`;
    const coarse = t.allowedFalseAccepts < 10 ? `  (rests on ${t.allowedFalseAccepts} false accept${t.allowedFalseAccepts === 1 ? "" : "s"}: coarse)` : "";
    return `  TAR @ FAR ${key}  ${pct(t.tar)} at distance < ${(t.threshold ?? 0).toFixed(4)}${coarse}`;
  }),
  `  detection failures                      ${run.noFace} of ${run.images} images (${pct(detectionFailureRate)}); unreadable ${run.unreadable.length}`,
  ...run.unreadable.slice(0, 5).map((u) => `    ${relative(ROOT, u.path)}: ${u.reason}`),
  "",
  `  latency, ms, one thread     wall p50    p95   cpu p50    p95   (load average ${load.toFixed(1)} on ${availableParallelism()} cores)`,
  ...STAGES.map((s) => `    ${s.padEnd(24)}${ms(latency[s])}  ${ms(cpu[s])}`),
  `    ${"one frame (no decode)".padEnd(24)}${ms(frame)}  ${ms(frameCpu)}   (detect + align + embed + liveness; budget 40 ms at p95)`,
  `  liveness stage: assessPassiveLiveness (border, moiré, glare; motion needs a burst) on one frame`,
  `  peak RSS ${peakRssMb} MB`,
  "",
];
process.stdout.write(lines.join("\n"));

if (values["write-calibration"]) writeCalibration();
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);

/** Records the calibration for the model build; only from a full, cross-validated run of a pairs list. */
function writeCalibration(): void {
  if (pairsFile === null || values.limit !== undefined || cv === null) fail("--write-calibration needs a full run over a pairs list with folds");
  const [far2, far3] = tars;
  if (far2?.threshold == null || far3?.threshold == null) fail("too few impostor pairs to calibrate FAR thresholds");
  const record = CalibrationRecord.parse({
    model: result.model,
    alignment: result.alignment,
    flip,
    normalisation,
    dataset: `${relative(ROOT, dataset)} with ${relative(ROOT, pairsFile)} (${result.pairs.total} pairs, ${folds} folds)`,
    measuredWith: `npm run bench:face -- --descriptor ${descriptorKey} --write-calibration`,
    thresholds: {
      matchDistance: round(overall.threshold, 4),
      matchDistanceFar1e2: round(far2.threshold, 4),
      matchDistanceFar1e3: round(far3.threshold, 4),
    },
    figures: {
      accuracy: result.accuracy,
      accuracyStandardError: result.accuracyStandardError ?? 0,
      farAtMatchDistance: result.atBestThreshold.far,
      frrAtMatchDistance: result.atBestThreshold.frr,
      auc: result.auc,
      eer: result.eer,
      tarAtFar1e2: result.tar["1e-2"] ?? 0,
      tarAtFar1e3: result.tar["1e-3"] ?? 0,
      detectionFailureRate: result.detectionFailureRate,
    },
  });
  const file = join(ROOT, "models", values.model === "dlib-resnet-v1" ? "dlib-resnet" : values.model, "calibration.json");
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`calibration written to ${relative(ROOT, file)}; run npm run models:build to put it in the manifest\n\n`);
}

function round<T extends number | { p50: number; p95: number }>(value: T, digits: number): T {
  const r = (x: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
  return (typeof value === "number" ? r(value) : { p50: r(value.p50), p95: r(value.p95) }) as T;
}
