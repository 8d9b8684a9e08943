import type { RgbImage } from "../face-aligner.js";
import type { FaceBox } from "../face-detector.js";
import { regionAround } from "./luminance.js";

/**
 * Glare: light reflected off a phone's glass or a glossy print clips every channel to white in a
 * patch with soft edges. Skin under the kiosk's light shows small specular points (nose tip,
 * forehead), not a patch. The cue finds connected pixels whose darkest channel is at or above the
 * saturation level inside the face box, and measures the largest blob as a share of the box area.
 */
export interface GlareMeasure {
  /** Largest saturated blob / face box area, 0..1. */
  readonly value: number;
  readonly saturatedShare: number;
}

export const SATURATION_LEVEL = 245;

export function measureGlare(image: RgbImage, face: Pick<FaceBox, "x" | "y" | "width" | "height">): GlareMeasure {
  const rect = regionAround(face, image, 1);
  const { width, height } = rect;
  if (width === 0 || height === 0) return { value: 0, saturatedShare: 0 };
  const saturated = new Uint8Array(width * height);
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = ((rect.y + y) * image.width + rect.x + x) * 3;
      const darkest = Math.min(image.data[i] ?? 0, image.data[i + 1] ?? 0, image.data[i + 2] ?? 0);
      if (darkest >= SATURATION_LEVEL) {
        saturated[y * width + x] = 1;
        count++;
      }
    }
  }
  return { value: largestBlob(saturated, width, height) / (width * height), saturatedShare: count / (width * height) };
}

/** Size of the largest 4-connected blob of ones; the mask is consumed. */
export function largestBlob(mask: Uint8Array, width: number, height: number): number {
  let largest = 0;
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] !== 1) continue;
    mask[start] = 0;
    stack.push(start);
    let size = 0;
    while (stack.length > 0) {
      const p = stack.pop() ?? 0;
      size++;
      const x = p % width;
      const neighbours = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p >= width ? p - width : -1, p + width < width * height ? p + width : -1];
      for (const q of neighbours) {
        if (q >= 0 && mask[q] === 1) {
          mask[q] = 0;
          stack.push(q);
        }
      }
    }
    largest = Math.max(largest, size);
  }
  return largest;
}
