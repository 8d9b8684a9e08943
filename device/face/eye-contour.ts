import ort from "onnxruntime-node";
import type { ModelManifest } from "../../models/model-manifest.js";
import type { Point } from "./blazeface-decoder.js";
import { warpChip, type ChipTransform, type RgbImage } from "./face-aligner.js";
import { FaceModelError, loadModelSession, squareChipInput } from "./model-session.js";

/**
 * Eye openness from MediaPipe's Iris model (models: iris-landmark-64), which traces the eyelids
 * themselves: the 68-point net's eye points barely move when an eye closes (a painted closure moved
 * its eye aspect ratio by 6.7 % where 40 % is needed), this model's lids close with the eye. On 65
 * real closed and 65 open eyes in LFW (test/fixtures/lfw-eye-state-labels.json) the lid openness
 * orders 98 % of (closed, open) pairs correctly, the 68-point ratio 51 %. The model jitters: a
 * half-pixel shift of the crop moves one eye's openness by 3.5 % (median; 11 % at p90).
 *
 * Each eye is cropped from the full-resolution image around the two eye corners the 68-point
 * landmarks already give, as MediaPipe does: a square of 2.3 × the corner distance (manifest
 * `cropScale`), centred between the corners, rotated so the outer→inner corner line is level. The
 * model is trained on the subject's right eye; the left eye's crop is mirrored so it looks like one.
 * Contour points 0–8 run along the lower lid from the outer to the inner corner, 9–15 along the
 * upper lid, outer to inner: upper 9 + k sits above lower 1 + k.
 */
export interface EyeCorners {
  readonly outer: Point;
  readonly inner: Point;
}

/** The 16 eyelid points of one eye, in crop pixels (the crop is level and the same for either eye). */
export interface EyeContour {
  readonly lids: readonly Point[];
}

/** iBUG 68-point indices of each eye's corners: subject's right eye 36 (outer) – 39 (inner), left eye 45 (outer) – 42 (inner). */
export function eyeCornersFrom68(points: readonly Point[]): { right: EyeCorners; left: EyeCorners } | null {
  const [r0, r3, l0, l3] = [points[36], points[39], points[45], points[42]];
  if (r0 === undefined || r3 === undefined || l0 === undefined || l3 === undefined) return null;
  return { right: { outer: r0, inner: r3 }, left: { outer: l0, inner: l3 } };
}

/** Chip points (an aligned chip sampled through `transform`) in image pixels. */
export function chipPointsToImage(points: readonly Point[], transform: ChipTransform): Point[] {
  const { a, b, tx, ty } = transform;
  return points.map((p) => ({ x: a * p.x - b * p.y + tx, y: b * p.x + a * p.y + ty }));
}

/**
 * The chip-to-image map of an eye crop of `size` pixels, for warpChip (pixel centres at integer
 * coordinates in both, as the landmarks are): level on the corner line with `from` on the left, the
 * crop's centre (size − 1)/2 on the corners' midpoint, `cropScale` corner distances wide.
 */
export function eyeCropTransform(from: Point, to: Point, size: number, cropScale: number): ChipTransform {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy);
  const step = (Math.max(length, 1) * cropScale) / size;
  const [ux, uy] = length === 0 ? [1, 0] : [dx / length, dy / length];
  const a = step * ux;
  const b = step * uy;
  // Crop pixel (0, 0) lies (size − 1)/2 steps back along both crop axes from the midpoint.
  const back = -(size - 1) / 2;
  return { a, b, tx: (from.x + to.x) / 2 + back * (a - b), ty: (from.y + to.y) / 2 + back * (b + a) };
}

/**
 * The crop the model sees for one eye, outer corner on the left, into `out`. A mirrored crop (the
 * subject's left eye) is sampled with the inner corner on the left and then flipped, so it looks
 * like a right eye.
 */
export function sampleEyeCrop(image: RgbImage, corners: EyeCorners, mirrored: boolean, size: number, cropScale: number, out: Uint8Array = new Uint8Array(size * size * 3)): Uint8Array {
  const [from, to] = mirrored ? [corners.inner, corners.outer] : [corners.outer, corners.inner];
  warpChip(image, eyeCropTransform(from, to, size, cropScale), size, out);
  if (mirrored) flopInPlace(out, size);
  return out;
}

/** Mirrors an RGB crop left to right, in place. */
function flopInPlace(crop: Uint8Array, size: number): void {
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size / 2 - 0.5; u++) {
      const left = (v * size + u) * 3;
      const right = (v * size + size - 1 - u) * 3;
      for (let c = 0; c < 3; c++) {
        const t = crop[left + c] ?? 0;
        crop[left + c] = crop[right + c] ?? 0;
        crop[right + c] = t;
      }
    }
  }
}

/**
 * Openness of one eye from its lids: the mean gap between the upper and lower lid over the five
 * middle pairs (upper 10–14 above lower 2–6), over the corner-to-corner width. About 0.25–0.4 for an
 * open eye; a closed eye's lids meet.
 */
export function lidOpenness(contour: EyeContour): number {
  const p = (i: number): Point => contour.lids[i] ?? { x: 0, y: 0 };
  const width = Math.hypot(p(0).x - p(8).x, p(0).y - p(8).y);
  if (width === 0) return 0;
  let gap = 0;
  for (let k = 1; k <= 5; k++) gap += Math.hypot(p(9 + k).x - p(1 + k).x, p(9 + k).y - p(1 + k).y);
  return gap / 5 / width;
}

/** One session, loaded once; one crop and one input buffer reused for every eye, so one call at a time. */
export class EyeContourModel {
  private readonly input: Float32Array;
  private readonly crop: Uint8Array;
  readonly size: number;
  private readonly cropScale: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: ModelManifest,
  ) {
    ({ chipSize: this.size, input: this.input } = squareChipInput(manifest));
    this.crop = new Uint8Array(this.size * this.size * 3);
    const cropScale = manifest.parameters.cropScale;
    if (typeof cropScale !== "number") throw new FaceModelError("unexpected_model", `${manifest.id}: cropScale parameter missing`);
    this.cropScale = cropScale;
  }

  static async load(manifestPath: string, onnxPath: string, threads = 1): Promise<EyeContourModel> {
    const { manifest, session } = await loadModelSession(manifestPath, onnxPath, threads);
    return new EyeContourModel(session, manifest);
  }

  /** The crop the model sees for one eye (sampleEyeCrop), in this model's one crop buffer. */
  eyeCrop(image: RgbImage, corners: EyeCorners, mirrored: boolean): Uint8Array {
    return sampleEyeCrop(image, corners, mirrored, this.size, this.cropScale, this.crop);
  }

  /** The eyelid contour of one eye from a crop made by `eyeCrop`. */
  async contour(crop: Uint8Array): Promise<EyeContour> {
    const { scale, offset } = this.manifest.input;
    for (let i = 0; i < crop.length; i++) this.input[i] = (crop[i] ?? 0) * scale + offset;
    const outputs = await this.session.run({ [this.manifest.input.name]: new ort.Tensor("float32", this.input, this.manifest.input.shape) });
    const data = outputs[this.manifest.outputs[0]?.name ?? ""]?.data as Float32Array | undefined;
    if (data === undefined || data.length < 16 * 3) throw new FaceModelError("unexpected_model", `${this.manifest.id}: no eye landmarks output`);
    return { lids: Array.from({ length: 16 }, (_, i) => ({ x: data[3 * i] ?? 0, y: data[3 * i + 1] ?? 0 })) };
  }

  /** Each eye's lid openness (subject's right, left), given the 68 landmarks in image pixels; null when the corners are missing. */
  async eyeOpenness(image: RgbImage, points68: readonly Point[]): Promise<readonly [number, number] | null> {
    const corners = eyeCornersFrom68(points68);
    if (corners === null) return null;
    const right = lidOpenness(await this.contour(this.eyeCrop(image, corners.right, false)));
    const left = lidOpenness(await this.contour(this.eyeCrop(image, corners.left, true)));
    return [right, left];
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
