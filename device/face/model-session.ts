import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import ort from "onnxruntime-node";
import { ModelManifest } from "../../models/model-manifest.js";

/** A model file that is not the one its manifest describes, or not shaped as the code expects. */
export class FaceModelError extends Error {
  constructor(
    readonly code: "checksum_mismatch" | "unexpected_model",
    message: string,
  ) {
    super(message);
    this.name = "FaceModelError";
  }
}

/**
 * Loads one model for onnxruntime-node (CPU) by its manifest, refusing a file whose SHA-256 differs
 * from the manifest's: the box runs exactly the model its thresholds were calibrated for.
 */
export async function loadModelSession(manifestPath: string, onnxPath: string, threads = 1): Promise<{ manifest: ModelManifest; session: ort.InferenceSession }> {
  const manifest = ModelManifest.parse(JSON.parse(readFileSync(manifestPath, "utf8")));
  const bytes = readFileSync(onnxPath);
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== manifest.sha256) {
    throw new FaceModelError("checksum_mismatch", `${onnxPath}: sha256 ${actual} differs from the manifest's ${manifest.sha256}`);
  }
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, logSeverityLevel: 3 });
  return { manifest, session };
}

/** A square RGB chip model's side (from its manifest's NHWC input shape) and one input buffer reused for every chip. */
export function squareChipInput(manifest: ModelManifest): { chipSize: number; input: Float32Array } {
  const [, size] = manifest.input.shape;
  if (size === undefined) throw new FaceModelError("unexpected_model", `${manifest.id}: input shape missing`);
  return { chipSize: size, input: new Float32Array(size * size * 3) };
}
