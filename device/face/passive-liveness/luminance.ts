import type { RgbImage } from "../face-aligner.js";
import type { FaceBox } from "../face-detector.js";

/**
 * Grey-level views of the image the passive cues share: a rectangle clipped to the image, and the
 * luminance (ITU-R BT.601 weights) inside it, either at native resolution or box-averaged onto a
 * smaller grid. Pure and allocation-light: one Float32Array per call.
 */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface GreyPatch {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** The face box scaled about its centre by `scale` (and `scaleY` vertically), clipped to the image; integer pixels. */
export function regionAround(face: Pick<FaceBox, "x" | "y" | "width" | "height">, image: Pick<RgbImage, "width" | "height">, scale: number, scaleY = scale): Rect {
  const cx = face.x + face.width / 2;
  const cy = face.y + face.height / 2;
  const x0 = Math.max(0, Math.floor(cx - (face.width * scale) / 2));
  const y0 = Math.max(0, Math.floor(cy - (face.height * scaleY) / 2));
  const x1 = Math.min(image.width, Math.ceil(cx + (face.width * scale) / 2));
  const y1 = Math.min(image.height, Math.ceil(cy + (face.height * scaleY) / 2));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

export function luminanceAt(image: RgbImage, x: number, y: number): number {
  const i = (y * image.width + x) * 3;
  return 0.299 * (image.data[i] ?? 0) + 0.587 * (image.data[i + 1] ?? 0) + 0.114 * (image.data[i + 2] ?? 0);
}

/** Luminance of `rect` at native resolution. */
export function greyCrop(image: RgbImage, rect: Rect): GreyPatch {
  const data = new Float32Array(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) data[y * rect.width + x] = luminanceAt(image, rect.x + x, rect.y + y);
  }
  return { data, width: rect.width, height: rect.height };
}

/** Luminance of `rect` averaged onto a `width` x `height` grid (each cell the mean of the pixels it covers). */
export function greyGrid(image: RgbImage, rect: Rect, width: number, height: number): GreyPatch {
  const sums = new Float32Array(width * height);
  const counts = new Uint32Array(width * height);
  for (let y = 0; y < rect.height; y++) {
    const gy = Math.min(height - 1, Math.floor((y * height) / rect.height));
    for (let x = 0; x < rect.width; x++) {
      const g = gy * width + Math.min(width - 1, Math.floor((x * width) / rect.width));
      sums[g] = (sums[g] ?? 0) + luminanceAt(image, rect.x + x, rect.y + y);
      counts[g] = (counts[g] ?? 0) + 1;
    }
  }
  for (let g = 0; g < sums.length; g++) sums[g] = (sums[g] ?? 0) / Math.max(1, counts[g] ?? 0);
  return { data: sums, width, height };
}

/** Luminance sampled bilinearly on a `size` x `size` grid spanning `rect` (sub-pixel, for motion). */
export function greySampled(image: RgbImage, rect: Rect, size: number): GreyPatch {
  const data = new Float32Array(size * size);
  const sx = rect.width / size;
  const sy = rect.height / size;
  for (let v = 0; v < size; v++) {
    const y = Math.min(image.height - 1.001, Math.max(0, rect.y + (v + 0.5) * sy - 0.5));
    const y0 = Math.floor(y);
    const fy = y - y0;
    for (let u = 0; u < size; u++) {
      const x = Math.min(image.width - 1.001, Math.max(0, rect.x + (u + 0.5) * sx - 0.5));
      const x0 = Math.floor(x);
      const fx = x - x0;
      const top = luminanceAt(image, x0, y0) * (1 - fx) + luminanceAt(image, x0 + 1, y0) * fx;
      const bottom = luminanceAt(image, x0, y0 + 1) * (1 - fx) + luminanceAt(image, x0 + 1, y0 + 1) * fx;
      data[v * size + u] = top * (1 - fy) + bottom * fy;
    }
  }
  return { data, width: size, height: size };
}

export function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
