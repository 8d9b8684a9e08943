import type { FaceBox } from "./face-detector.js";

/**
 * Quality gates between detection and recognition. Each rejection has a reason the kiosk can turn
 * into an instruction ("move closer", "face the camera", "too dark"), so a patient is coached rather
 * than told "mismatch" — and a dim night-round frame is reported as too dark, never as a mismatch.
 */
export const QUALITY_REJECTIONS = [
  "no_face",
  "several_faces",
  "too_far",
  "too_close",
  "turned_away",
  "head_tilted",
  "too_blurry",
  "too_dark",
  "too_bright",
  // Not a gate on the face: the frame's bytes are not a decodable image (see face-image.ts).
  "unreadable_image",
] as const;
export type QualityRejection = (typeof QUALITY_REJECTIONS)[number];

export interface QualityThresholds {
  /** Distance between the eye centres in image pixels. */
  readonly minEyeDistancePx: number;
  readonly maxEyeDistanceShare: number;
  /** |nose offset from the eye midpoint| / eye distance: 0 frontal, about 0.5 in profile. */
  readonly maxYaw: number;
  /** Eye-line angle in degrees. */
  readonly maxRollDeg: number;
  /** Variance of the Laplacian over the aligned grey chip. */
  readonly minSharpness: number;
  /** Mean grey level (0..255) of the face region of the chip. */
  readonly minBrightness: number;
  readonly maxBrightness: number;
  /** A second face at least this share of the first one's score and size counts as another person. */
  readonly secondFaceShare: number;
}

/**
 * Calibrated on 298 LFW development images (one per 7th identity): eye distance p1 39.7 px at 250 px;
 * yaw p99 0.42; roll p99 11.1°; sharpness p1 11.7 (LFW is soft; a Gaussian blur of sigma 3 gives
 * 6.7); brightness p1 71.7 (the image scaled to 15 % gives 15.9). Deployments tune them per camera.
 */
export const DEFAULT_QUALITY: QualityThresholds = {
  minEyeDistancePx: 28,
  maxEyeDistanceShare: 0.45,
  maxYaw: 0.45,
  maxRollDeg: 20,
  minSharpness: 8,
  minBrightness: 40,
  maxBrightness: 215,
  secondFaceShare: 0.6,
};

export interface QualityMeasures {
  readonly eyeDistancePx: number;
  readonly yaw: number;
  readonly rollDeg: number;
  readonly sharpness: number;
  readonly brightness: number;
}

export type QualityVerdict =
  | { readonly ok: true; readonly face: FaceBox; readonly measures: QualityMeasures }
  | { readonly ok: false; readonly reason: QualityRejection; readonly measures: QualityMeasures | null };

/** Geometry gates, from the detection alone (before aligning). */
export function geometryOf(face: FaceBox): Pick<QualityMeasures, "eyeDistancePx" | "yaw" | "rollDeg"> {
  const [rightEye, leftEye, nose] = face.keypoints;
  if (rightEye === undefined || leftEye === undefined || nose === undefined) return { eyeDistancePx: 0, yaw: 1, rollDeg: 90 };
  const dx = leftEye.x - rightEye.x;
  const dy = leftEye.y - rightEye.y;
  const eyeDistancePx = Math.hypot(dx, dy);
  // Offset of the nose tip from the eye midpoint, along the eye line.
  const mid = { x: (leftEye.x + rightEye.x) / 2, y: (leftEye.y + rightEye.y) / 2 };
  const along = ((nose.x - mid.x) * dx + (nose.y - mid.y) * dy) / (eyeDistancePx * eyeDistancePx);
  return { eyeDistancePx, yaw: Math.abs(along), rollDeg: (Math.atan2(dy, dx) * 180) / Math.PI };
}

/** Sharpness and brightness of an aligned RGB chip, over its central face region. */
export function chipMeasures(chip: Uint8Array, size: number): Pick<QualityMeasures, "sharpness" | "brightness"> {
  const grey = (x: number, y: number): number => {
    const i = (y * size + x) * 3;
    return 0.299 * (chip[i] ?? 0) + 0.587 * (chip[i + 1] ?? 0) + 0.114 * (chip[i + 2] ?? 0);
  };
  const from = Math.round(size * 0.2);
  const to = Math.round(size * 0.8);
  let sum = 0;
  let count = 0;
  let lapSum = 0;
  let lapSquares = 0;
  for (let y = from; y < to; y++) {
    for (let x = from; x < to; x++) {
      const g = grey(x, y);
      sum += g;
      const laplacian = grey(x - 1, y) + grey(x + 1, y) + grey(x, y - 1) + grey(x, y + 1) - 4 * g;
      lapSum += laplacian;
      lapSquares += laplacian * laplacian;
      count++;
    }
  }
  const meanLap = lapSum / count;
  return { brightness: sum / count, sharpness: lapSquares / count - meanLap * meanLap };
}

/** Picks the face to judge and applies the detection-level gates. */
export function judgeDetections(faces: readonly FaceBox[], imageWidth: number, thresholds: QualityThresholds = DEFAULT_QUALITY): QualityVerdict {
  const [first, second] = [...faces].sort((a, b) => b.score * b.width - a.score * a.width);
  if (first === undefined) return { ok: false, reason: "no_face", measures: null };
  if (second !== undefined && second.score >= thresholds.secondFaceShare * first.score && second.width >= thresholds.secondFaceShare * first.width) {
    return { ok: false, reason: "several_faces", measures: null };
  }
  const geometry = geometryOf(first);
  const measures = { ...geometry, sharpness: Number.NaN, brightness: Number.NaN };
  if (geometry.eyeDistancePx < thresholds.minEyeDistancePx) return { ok: false, reason: "too_far", measures };
  if (geometry.eyeDistancePx > thresholds.maxEyeDistanceShare * imageWidth) return { ok: false, reason: "too_close", measures };
  if (geometry.yaw > thresholds.maxYaw) return { ok: false, reason: "turned_away", measures };
  if (Math.abs(geometry.rollDeg) > thresholds.maxRollDeg) return { ok: false, reason: "head_tilted", measures };
  return { ok: true, face: first, measures };
}

/** The chip-level gates, after alignment. Darkness is checked before sharpness: a dark frame is also flat. */
export function judgeChip(verdict: Extract<QualityVerdict, { ok: true }>, chip: Uint8Array, size: number, thresholds: QualityThresholds = DEFAULT_QUALITY): QualityVerdict {
  const measures = { ...verdict.measures, ...chipMeasures(chip, size) };
  if (measures.brightness < thresholds.minBrightness) return { ok: false, reason: "too_dark", measures };
  if (measures.brightness > thresholds.maxBrightness) return { ok: false, reason: "too_bright", measures };
  if (measures.sharpness < thresholds.minSharpness) return { ok: false, reason: "too_blurry", measures };
  return { ok: true, face: verdict.face, measures };
}
