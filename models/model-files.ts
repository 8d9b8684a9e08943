import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the model files live: `models/build/` and the committed calibration records under `models/`
 * of this package, found from this module's location whether it runs from source (tsx) or from
 * `dist/` (the package root is the nearest folder up whose package.json is named "carewitness").
 */
export function packageRootDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "carewitness") return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no carewitness package.json above ${from}`);
    dir = parent;
  }
}

export const MODELS_DIR = join(packageRootDir(), "models");
export const DEFAULT_MODEL_DIR = join(MODELS_DIR, "build");

/** The manifest and ONNX file of model `id` in `dir`. */
export function modelFiles(id: string, dir: string = DEFAULT_MODEL_DIR): { manifest: string; onnx: string } {
  return { manifest: join(dir, `${id}.manifest.json`), onnx: join(dir, `${id}.onnx`) };
}
