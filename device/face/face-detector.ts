import ort from "onnxruntime-node";
import sharp from "sharp";
import type { ModelManifest } from "../../models/model-manifest.js";
import { FaceModelError, loadModelSession } from "./model-session.js";
import { blazefaceAnchors, decodeBlazeface, type Detection, type Point } from "./blazeface-decoder.js";

export { FaceModelError } from "./model-session.js";

/**
 * Face detection with keypoints on onnxruntime-node (CPU). One session per model, loaded once; one
 * input buffer reused for every frame. Any image size: it is letterboxed (scaled to fit, padded with
 * black) into the model's square input, and detections are mapped back to image pixels.
 */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly score: number;
  /** right eye, left eye, nose tip, mouth, right ear, left ear, in image pixels. */
  readonly keypoints: readonly Point[];
}

export class FaceDetector {
  private readonly input: Float32Array;
  private readonly anchors: Float32Array;
  private readonly size: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: ModelManifest,
  ) {
    const [, height, width] = manifest.input.shape;
    if (height === undefined || height !== width) throw new FaceModelError("unexpected_model", `${manifest.id}: square NHWC input expected`);
    this.size = height;
    this.input = new Float32Array(height * height * 3);
    const grids = manifest.parameters.anchorGrids;
    const perCell = manifest.parameters.anchorsPerCell;
    if (!Array.isArray(grids) || !Array.isArray(perCell)) throw new FaceModelError("unexpected_model", `${manifest.id}: anchor parameters missing`);
    this.anchors = blazefaceAnchors({ grids, perCell });
  }

  /** Loads a model by its manifest, refusing a file whose checksum differs from the manifest's. */
  static async load(manifestPath: string, onnxPath: string, threads = 1): Promise<FaceDetector> {
    const { manifest, session } = await loadModelSession(manifestPath, onnxPath, threads);
    return new FaceDetector(session, manifest);
  }

  async detect(image: Buffer | { data: Uint8Array; width: number; height: number; channels: 1 | 3 }): Promise<FaceBox[]> {
    const source = Buffer.isBuffer(image)
      ? sharp(image)
      : sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
          raw: { width: image.width, height: image.height, channels: image.channels },
        });
    const { width, height } = Buffer.isBuffer(image) ? await sharp(image).metadata() : image;
    const scale = this.size / Math.max(width, height);
    const scaledWidth = Math.max(1, Math.round(width * scale));
    const scaledHeight = Math.max(1, Math.round(height * scale));
    const left = Math.floor((this.size - scaledWidth) / 2);
    const top = Math.floor((this.size - scaledHeight) / 2);
    const pixels = await source
      .resize(scaledWidth, scaledHeight, { fit: "fill" })
      .extend({ left, top, right: this.size - scaledWidth - left, bottom: this.size - scaledHeight - top, background: { r: 0, g: 0, b: 0 } })
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer();
    const { scale: k, offset } = this.manifest.input;
    for (let i = 0; i < this.input.length; i++) this.input[i] = (pixels[i] ?? 0) * k + offset;
    const outputs = await this.session.run({ [this.manifest.input.name]: new ort.Tensor("float32", this.input, this.manifest.input.shape) });
    const detections = decodeBlazeface(this.rawOutputs(outputs), this.anchors, this.size, {
      minScore: this.manifest.thresholds.minScore ?? 0.6,
      nmsIou: this.manifest.thresholds.nmsIou ?? 0.3,
    });
    // Input coordinates (0..1 of the padded square) back to image pixels.
    const toImage = (p: Point): Point => ({ x: (p.x * this.size - left) / scale, y: (p.y * this.size - top) / scale });
    return detections.map((d: Detection) => {
      const centre = toImage({ x: d.cx, y: d.cy });
      const w = (d.width * this.size) / scale;
      const h = (d.height * this.size) / scale;
      return { x: centre.x - w / 2, y: centre.y - h / 2, width: w, height: h, score: d.score, keypoints: d.keypoints.map(toImage) };
    });
  }

  /** Concatenates the per-grid outputs in anchor order, matching them by shape. */
  private rawOutputs(outputs: ort.InferenceSession.OnnxValueMapType): { logits: Float32Array; regressors: Float32Array } {
    const tensors = Object.values(outputs);
    const grids = this.manifest.parameters.anchorGrids as number[];
    const perCell = this.manifest.parameters.anchorsPerCell as number[];
    const counts = grids.map((g, i) => g * g * (perCell[i] ?? 0));
    const pick = (count: number, width: number): Float32Array => {
      const tensor = tensors.find((t) => t.dims[1] === count && t.dims[2] === width);
      if (tensor === undefined) throw new FaceModelError("unexpected_model", `${this.manifest.id}: no output of shape [1, ${count}, ${width}]`);
      return tensor.data as Float32Array;
    };
    const concat = (parts: Float32Array[]): Float32Array => {
      const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts) {
        all.set(part, offset);
        offset += part.length;
      }
      return all;
    };
    return { logits: concat(counts.map((c) => pick(c, 1))), regressors: concat(counts.map((c) => pick(c, 16))) };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
