import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDlibResnet } from "../dlib-resnet/dlib-resnet-graph.js";
import { readTfjsWeights } from "../dlib-resnet/face-api-weights.js";
import { buildLandmark68 } from "../face-landmarks/landmark68-graph.js";
import { MODEL_CATALOGUE, type ModelRecipe } from "../model-catalogue.js";
import { ModelManifest } from "../model-manifest.js";

/**
 * `npm run models:build` (run by `prepare`): produces models/build/<id>.onnx and <id>.manifest.json
 * from files inside npm packages. Deterministic: the same inputs give byte-identical outputs and the
 * same checksums. `--check` only verifies that models/build matches what a build would write.
 */
const OUT = fileURLToPath(new URL("../build/", import.meta.url));
const require = createRequire(import.meta.url);

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
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
  }
}

function build(recipe: ModelRecipe): { onnx: Buffer; manifest: ModelManifest } {
  const { root, version } = packageRoot(recipe.manifest.source.package);
  const source = readFileSync(join(root, recipe.manifest.source.file));
  const onnx = convert(recipe, root, source);
  const manifest = ModelManifest.parse({
    manifestVersion: 1,
    ...recipe.manifest,
    sha256: sha256(onnx),
    bytes: onnx.byteLength,
    source: { ...recipe.manifest.source, version, sha256: sha256(source) },
  });
  return { onnx, manifest };
}

const check = process.argv.includes("--check");
let stale = 0;
mkdirSync(OUT, { recursive: true });
for (const recipe of MODEL_CATALOGUE) {
  const { onnx, manifest } = build(recipe);
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  const onnxPath = join(OUT, manifest.file);
  const manifestPath = join(OUT, `${manifest.id}.manifest.json`);
  if (check) {
    let current: Buffer | null = null;
    try {
      current = readFileSync(onnxPath);
    } catch {
      current = null;
    }
    const ok = current !== null && sha256(current) === manifest.sha256 && readFileSync(manifestPath, "utf8") === manifestText;
    if (!ok) {
      stale++;
      process.stderr.write(`models: ${manifest.id} is missing or differs from a fresh build\n`);
    }
    continue;
  }
  writeFileSync(onnxPath, onnx);
  writeFileSync(manifestPath, manifestText);
  process.stdout.write(`models: ${manifest.id} ${manifest.bytes} bytes sha256 ${manifest.sha256}\n`);
}
if (stale > 0) process.exit(1);
