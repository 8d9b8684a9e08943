import type { Point } from "./blazeface-decoder.js";

/**
 * Similarity alignment: the face is rotated, scaled and moved so its eyes land where dlib's face
 * chip puts them, then sampled bilinearly into a square chip (black outside the image). Rotation
 * matters: an unrotated square crop costs the recogniser accuracy on tilted heads.
 *
 * dlib's chip geometry (interpolation.h): template point t (0..1) lands at size * (padding + t) /
 * (1 + 2 * padding), padding 0.25. The eye centres are the means of dlib's 5-point template corners:
 * subject's right eye (0.2274, 0.2214), left eye (0.7529, 0.2213).
 */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

const PADDING = 0.25;
const RIGHT_EYE = { x: (0.1206 + 0.3341) / 2, y: (0.2137 + 0.2291) / 2 };
const LEFT_EYE = { x: (0.8596 + 0.6461) / 2, y: (0.2135 + 0.229) / 2 };

export function chipPoint(t: Point, size: number, padding = PADDING): Point {
  return { x: (size * (padding + t.x)) / (1 + 2 * padding), y: (size * (padding + t.y)) / (1 + 2 * padding) };
}

/** Where the subject's right and left eye centres go in a chip of `size` pixels. */
export function chipEyes(size: number, padding = PADDING): { right: Point; left: Point } {
  return { right: chipPoint(RIGHT_EYE, size, padding), left: chipPoint(LEFT_EYE, size, padding) };
}

/**
 * The chip-to-image map (x, y) → (a x − b y + tx, b x + a y + ty) that takes the chip's eye centres
 * onto the detected ones.
 */
export function chipToImage(rightEye: Point, leftEye: Point, size: number, padding = PADDING): ChipTransform {
  const target = chipEyes(size, padding);
  const dx = target.left.x - target.right.x;
  const dy = target.left.y - target.right.y;
  const sx = leftEye.x - rightEye.x;
  const sy = leftEye.y - rightEye.y;
  const norm = dx * dx + dy * dy;
  // Complex division (sx + i sy) / (dx + i dy): scale and rotation in one.
  const a = (sx * dx + sy * dy) / norm;
  const b = (sy * dx - sx * dy) / norm;
  return { a, b, tx: rightEye.x - (a * target.right.x - b * target.right.y), ty: rightEye.y - (b * target.right.x + a * target.right.y) };
}

/**
 * A similarity map from chip pixels to image pixels: (u, v) → (a u − b v + tx, b u + a v + ty).
 * `a` and `b` carry scale and rotation (a + ib = s·e^{iθ}).
 */
export interface ChipTransform {
  readonly a: number;
  readonly b: number;
  readonly tx: number;
  readonly ty: number;
}

/**
 * The map dlib's extract_image_chip actually samples with (interpolation.h, chip_details and
 * extract_image_chips): the chip's corner pixels 0 and size − 1 land on the corners of a rectangle of
 * size·s image pixels centred on T(size / 2), so the chip is stretched by size / (size − 1) about
 * its centre and shifted by half a pixel against T itself. The recogniser was trained on such chips;
 * a one-pixel shift moves a descriptor by 0.06–0.12, so the half pixel is kept.
 */
export function dlibSamplingTransform(t: ChipTransform, size: number): ChipTransform {
  const k = size / (size - 1);
  const shift = size / 2 - (k * (size - 1)) / 2;
  // T(k u + shift) = a k u − b k v + (a shift − b shift + tx), ...
  return { a: t.a * k, b: t.b * k, tx: t.tx + t.a * shift - t.b * shift, ty: t.ty + t.b * shift + t.a * shift };
}

/**
 * Samples an RGB chip of `size` x `size` pixels through a chip-to-image map into `out` (reused
 * between calls): bilinear, and black where the chip reaches outside the image.
 */
export function warpChip(image: RgbImage, transform: ChipTransform, size: number, out: Uint8Array = new Uint8Array(size * size * 3)): Uint8Array {
  const { a, b, tx, ty } = transform;
  const { data, width, height } = image;
  const stride = width * 3;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const x = a * u - b * v + tx;
      const y = b * u + a * v + ty;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      // Bilinear weights of the four neighbours; a neighbour outside the image counts as black.
      const inX0 = x0 >= 0 && x0 < width;
      const inX1 = x0 + 1 >= 0 && x0 + 1 < width;
      const inY0 = y0 >= 0 && y0 < height;
      const inY1 = y0 + 1 >= 0 && y0 + 1 < height;
      const w00 = inX0 && inY0 ? (1 - fx) * (1 - fy) : 0;
      const w10 = inX1 && inY0 ? fx * (1 - fy) : 0;
      const w01 = inX0 && inY1 ? (1 - fx) * fy : 0;
      const w11 = inX1 && inY1 ? fx * fy : 0;
      const i00 = y0 * stride + x0 * 3;
      const o = (v * size + u) * 3;
      for (let c = 0; c < 3; c++) {
        const value =
          (w00 === 0 ? 0 : w00 * (data[i00 + c] ?? 0)) +
          (w10 === 0 ? 0 : w10 * (data[i00 + 3 + c] ?? 0)) +
          (w01 === 0 ? 0 : w01 * (data[i00 + stride + c] ?? 0)) +
          (w11 === 0 ? 0 : w11 * (data[i00 + stride + 3 + c] ?? 0));
        out[o + c] = Math.round(value);
      }
    }
  }
  return out;
}

/** Samples the eye-aligned chip (RGB, `size` x `size`) into `out`, which is reused between calls. */
export function alignFace(
  image: RgbImage,
  rightEye: Point,
  leftEye: Point,
  size: number,
  out: Uint8Array = new Uint8Array(size * size * 3),
  padding = PADDING,
): Uint8Array {
  return warpChip(image, chipToImage(rightEye, leftEye, size, padding), size, out);
}
