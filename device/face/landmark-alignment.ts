import type { Point } from "./blazeface-decoder.js";
import { chipPoint, type ChipTransform } from "./face-aligner.js";

/**
 * Alignment from 68 landmarks, as dlib's get_face_chip_details does it for its recogniser
 * (dlib/image_transforms/interpolation.h): a least-squares similarity transform that takes dlib's
 * mean face onto the detected landmarks, over 33 points (nose 27–35, eyes 36–47, outer and inner
 * upper lip 48–54 and 60–64; the jaw, eyebrows and lower lip move too much to anchor on). Many
 * points average out the error of each, so scale and rotation no longer hang on two eye keypoints.
 */

/** dlib's mean face (points 17–67 of iBUG 300-W), x and y in 0..1 of the face square. */
const MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
  0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
  0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
  0.553364, 0.490127, 0.42689,
] as const;
const MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
  0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
  0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
  0.784792, 0.824182, 0.831803, 0.824182,
] as const;

/** The landmark indices dlib fits on: 27–54 and 60–64 (eyebrows and lower lip left out). */
export const ALIGNMENT_LANDMARKS: readonly number[] = Array.from({ length: 68 - 27 }, (_, i) => 27 + i).filter((i) => !(i >= 55 && i <= 59) && !(i >= 65 && i <= 67));

/** Where landmark `index` (17–67) of dlib's mean face sits in 0..1 of the face square. */
export function meanFacePoint(index: number): Point {
  const x = MEAN_FACE_X[index - 17];
  const y = MEAN_FACE_Y[index - 17];
  if (x === undefined || y === undefined) throw new RangeError(`dlib's mean face has points 17–67, not ${index}`);
  return { x, y };
}

/**
 * The least-squares similarity transform (scale, rotation, translation; no reflection or shear)
 * taking `from[i]` onto `to[i]` (Umeyama's solution, which for 2-D reduces to complex arithmetic:
 * a + ib = Σ conj(p̃) q̃ / Σ |p̃|² over centred points).
 */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): ChipTransform {
  if (from.length !== to.length || from.length < 2) throw new RangeError(`a similarity fit needs two or more point pairs, got ${from.length} and ${to.length}`);
  const n = from.length;
  let fx = 0;
  let fy = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i]?.x ?? 0;
    fy += from[i]?.y ?? 0;
    tx += to[i]?.x ?? 0;
    ty += to[i]?.y ?? 0;
  }
  fx /= n;
  fy /= n;
  tx /= n;
  ty /= n;
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const px = (from[i]?.x ?? 0) - fx;
    const py = (from[i]?.y ?? 0) - fy;
    const qx = (to[i]?.x ?? 0) - tx;
    const qy = (to[i]?.y ?? 0) - ty;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm === 0) throw new RangeError("a similarity fit needs points that are not all the same");
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) };
}

/**
 * The chip-to-image transform of dlib's face chip (`size` pixels, `padding` around the mean face)
 * fitted to 68 landmarks in image pixels.
 */
export function landmarkChipTransform(landmarks: readonly Point[], size: number, padding = 0.25): ChipTransform {
  if (landmarks.length !== 68) throw new RangeError(`68 landmarks expected, got ${landmarks.length}`);
  const from = ALIGNMENT_LANDMARKS.map((i) => chipPoint(meanFacePoint(i), size, padding));
  const to = ALIGNMENT_LANDMARKS.map((i) => landmarks[i] ?? { x: 0, y: 0 });
  return fitSimilarity(from, to);
}

/** Applies a chip-to-image transform to chip points (e.g. landmarks found on a chip) to get image points. */
export function chipToImagePoints(points: readonly Point[], t: ChipTransform): Point[] {
  return points.map((p) => ({ x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty }));
}

/**
 * The iBUG 300-W index of each landmark's mirror image (jaw 0↔16, eyebrows 17↔26, eyes 36↔45,
 * mouth corners 48↔54, ...; points on the midline map to themselves).
 */
export const MIRRORED_LANDMARK: readonly number[] = (() => {
  const mirror = Array.from({ length: 68 }, (_, i) => i);
  const pairs: readonly (readonly [number, number])[] = [
    ...Array.from({ length: 8 }, (_, i) => [i, 16 - i] as const),
    ...Array.from({ length: 5 }, (_, i) => [17 + i, 26 - i] as const),
    [31, 35], [32, 34],
    [36, 45], [37, 44], [38, 43], [39, 42], [40, 47], [41, 46],
    [48, 54], [49, 53], [50, 52], [55, 59], [56, 58],
    [60, 64], [61, 63], [65, 67],
  ];
  for (const [a, b] of pairs) {
    mirror[a] = b;
    mirror[b] = a;
  }
  return mirror;
})();

/**
 * Averages landmarks found on a crop with those found on its mirror image (flipped back and
 * re-indexed), which cancels any constant left–right offset of the landmark model: on LFW, x from a
 * 112 px crop plus x from its mirror sums to 110.15 on average, where an unbiased model would give
 * 111 (pixel centres at integers), i.e. the model reads 0.43 px to the left. Measured as an option of
 * the aligner; on the LFW pairs it did not change accuracy, so it is off by default.
 */
export function mirrorAveragedLandmarks(points: readonly Point[], fromMirror: readonly Point[], cropSize: number): Point[] {
  return points.map((p, i) => {
    const m = fromMirror[MIRRORED_LANDMARK[i] ?? i] ?? p;
    return { x: (p.x + cropSize - 1 - m.x) / 2, y: (p.y + m.y) / 2 };
  });
}

/** Mirrors an RGB chip left to right into `out`. */
export function mirrorChip(chip: Uint8Array, size: number, out: Uint8Array = new Uint8Array(chip.length)): Uint8Array {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const from = (y * size + (size - 1 - x)) * 3;
      const to = (y * size + x) * 3;
      out[to] = chip[from] ?? 0;
      out[to + 1] = chip[from + 1] ?? 0;
      out[to + 2] = chip[from + 2] ?? 0;
    }
  }
  return out;
}
