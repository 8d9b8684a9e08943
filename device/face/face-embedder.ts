import ort from "onnxruntime-node";
import type { ModelManifest } from "../../models/model-manifest.js";
import { FaceModelError, loadModelSession, squareChipInput } from "./model-session.js";

/**
 * Face descriptors from an aligned chip with the recogniser (dlib ResNet by default), on
 * onnxruntime-node. One session, loaded once, checked against its manifest's checksum; one input
 * buffer reused for every chip.
 */
export class FaceEmbedder {
  private readonly input: Float32Array;
  readonly chipSize: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: ModelManifest,
  ) {
    ({ chipSize: this.chipSize, input: this.input } = squareChipInput(manifest));
  }

  static async load(manifestPath: string, onnxPath: string, threads = 1): Promise<FaceEmbedder> {
    const { manifest, session } = await loadModelSession(manifestPath, onnxPath, threads);
    return new FaceEmbedder(session, manifest);
  }


  /** The descriptor of one RGB chip of `chipSize` x `chipSize` pixels. */
  async embed(chip: Uint8Array): Promise<Float32Array> {
    if (chip.length !== this.input.length) throw new RangeError(`chip has ${chip.length} bytes, expected ${this.input.length}`);
    const { scale, offset } = this.manifest.input;
    for (let i = 0; i < chip.length; i++) this.input[i] = (chip[i] ?? 0) * scale + offset;
    const outputs = await this.session.run({ [this.manifest.input.name]: new ort.Tensor("float32", this.input, this.manifest.input.shape) });
    const first = this.manifest.outputs[0];
    const tensor = first === undefined ? undefined : outputs[first.name];
    if (tensor === undefined) throw new FaceModelError("unexpected_model", `${this.manifest.id}: no output`);
    return Float32Array.from(tensor.data as Float32Array);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return Math.sqrt(sum);
}
