import ort from "onnxruntime-node";
import type { ModelManifest } from "../../models/model-manifest.js";
import { FaceModelError, loadModelSession, squareChipInput } from "./model-session.js";

/**
 * Face descriptors from an aligned chip with the recogniser (dlib ResNet by default), on
 * onnxruntime-node. One session, loaded once, checked against its manifest's checksum; one input
 * buffer (room for the chip and its mirror image) reused for every chip.
 *
 * The descriptor is post-processed as the manifest's calibration was measured (its thresholds only
 * hold for that processing): optionally averaged with the mirrored chip's, optionally L2-normalised.
 */
export interface DescriptorProcessing {
  /** Average the descriptor with the mirrored chip's (test-time flip: one more network run). */
  readonly flip: boolean;
  /** "l2": scale the descriptor to unit length, so Euclidean distance orders pairs as cosine does. */
  readonly normalisation: "none" | "l2";
}

export const RAW_DESCRIPTORS: DescriptorProcessing = { flip: false, normalisation: "none" };

export class FaceEmbedder {
  private readonly input: Float32Array;
  readonly chipSize: number;
  readonly processing: DescriptorProcessing;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: ModelManifest,
    processing: Partial<DescriptorProcessing>,
  ) {
    const square = squareChipInput(manifest);
    this.chipSize = square.chipSize;
    // Room for a batch of two: the chip and its mirror image.
    this.input = new Float32Array(2 * square.input.length);
    const calibrated = manifest.calibration;
    this.processing = {
      flip: processing.flip ?? calibrated?.flip ?? RAW_DESCRIPTORS.flip,
      normalisation: processing.normalisation ?? calibrated?.normalisation ?? RAW_DESCRIPTORS.normalisation,
    };
  }

  /**
   * `processing` overrides the manifest's calibrated processing (the benchmark measures the
   * alternatives this way); a box leaves it out.
   */
  static async load(manifestPath: string, onnxPath: string, threads = 1, processing: Partial<DescriptorProcessing> = {}): Promise<FaceEmbedder> {
    const { manifest, session } = await loadModelSession(manifestPath, onnxPath, threads);
    return new FaceEmbedder(session, manifest, processing);
  }

  /** The descriptor of one RGB chip of `chipSize` x `chipSize` pixels, processed as calibrated. */
  async embed(chip: Uint8Array): Promise<Float32Array> {
    let descriptor: Float32Array;
    if (this.processing.flip) {
      // The chip and its mirror in one run of a batch of two (the graph's batch is free): about 12 %
      // cheaper than two runs of one on one thread.
      const both = await this.run(chip, true);
      const half = both.length / 2;
      descriptor = new Float32Array(half);
      for (let i = 0; i < half; i++) descriptor[i] = ((both[i] ?? 0) + (both[half + i] ?? 0)) / 2;
    } else {
      descriptor = await this.run(chip, false);
    }
    return this.processing.normalisation === "l2" ? l2Normalised(descriptor) : descriptor;
  }

  /** The network's own output for one chip, without post-processing. */
  async embedRaw(chip: Uint8Array): Promise<Float32Array> {
    return this.run(chip, false);
  }

  /** Runs the network on the chip, and with `withMirror` on its mirror image as the batch's second item. */
  private async run(chip: Uint8Array, withMirror: boolean): Promise<Float32Array> {
    const one = this.input.length / 2;
    if (chip.length !== one) throw new RangeError(`chip has ${chip.length} bytes, expected ${one}`);
    this.fill(chip, this.input.subarray(0, one), false);
    if (withMirror) this.fill(chip, this.input.subarray(one), true);
    const [, ...chipShape] = this.manifest.input.shape;
    const batch = withMirror ? 2 : 1;
    const outputs = await this.session.run({ [this.manifest.input.name]: new ort.Tensor("float32", withMirror ? this.input : this.input.subarray(0, one), [batch, ...chipShape]) });
    const first = this.manifest.outputs[0];
    const tensor = first === undefined ? undefined : outputs[first.name];
    if (tensor === undefined) throw new FaceModelError("unexpected_model", `${this.manifest.id}: no output`);
    return Float32Array.from(tensor.data as Float32Array);
  }

  /**
   * pixel * scale + offset into `input` (one chip's part of the input buffer), columns reversed
   * when `mirrored`: a native copy where the model takes raw pixels, the mirror read in one pass.
   */
  private fill(chip: Uint8Array, input: Float32Array, mirrored: boolean): void {
    const { scale, offset } = this.manifest.input;
    if (!mirrored && scale === 1 && offset === 0) {
      input.set(chip);
      return;
    }
    const size = this.chipSize;
    for (let y = 0; y < size; y++) {
      const row = y * size * 3;
      for (let x = 0; x < size; x++) {
        const to = row + x * 3;
        const from = mirrored ? row + (size - 1 - x) * 3 : to;
        input[to] = (chip[from] ?? 0) * scale + offset;
        input[to + 1] = (chip[from + 1] ?? 0) * scale + offset;
        input[to + 2] = (chip[from + 2] ?? 0) * scale + offset;
      }
    }
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** `v` scaled in place to unit length (left as is when it is all zeros). */
export function l2Normalised(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / norm;
  return v;
}

export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return Math.sqrt(sum);
}
