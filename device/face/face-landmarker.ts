import ort from "onnxruntime-node";
import type { ModelManifest } from "../../models/model-manifest.js";
import type { Point } from "./blazeface-decoder.js";
import { FaceModelError, loadModelSession, squareChipInput } from "./model-session.js";

/**
 * 68 facial landmarks (iBUG 300-W order) on an aligned chip, for the liveness challenge: eye
 * openness for a blink, and yaw for a head turn. One session, loaded once; one input buffer.
 */
export class FaceLandmarker {
  private readonly input: Float32Array;
  readonly chipSize: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: ModelManifest,
  ) {
    ({ chipSize: this.chipSize, input: this.input } = squareChipInput(manifest));
  }

  static async load(manifestPath: string, onnxPath: string, threads = 1): Promise<FaceLandmarker> {
    const { manifest, session } = await loadModelSession(manifestPath, onnxPath, threads);
    return new FaceLandmarker(session, manifest);
  }


  /** The 68 points in chip pixels. */
  async landmarks(chip: Uint8Array): Promise<Point[]> {
    for (let i = 0; i < chip.length; i++) this.input[i] = chip[i] ?? 0;
    const outputs = await this.session.run({ [this.manifest.input.name]: new ort.Tensor("float32", this.input, this.manifest.input.shape) });
    const data = outputs.landmarks?.data as Float32Array | undefined;
    if (data === undefined) throw new FaceModelError("unexpected_model", `${this.manifest.id}: no landmarks output`);
    return Array.from({ length: 68 }, (_, i) => ({ x: (data[2 * i] ?? 0) * this.chipSize, y: (data[2 * i + 1] ?? 0) * this.chipSize }));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
