import type { Point } from "./blazeface-decoder.js";

/**
 * Measures over 68 landmarks (iBUG order: jaw 0–16, nose tip 30, right eye 36–41, left eye 42–47).
 *
 * Eye aspect ratio (Soukupová & Čech, 2016): (|p2 − p6| + |p3 − p5|) / (2 |p1 − p4|), about 0.25–0.35
 * for an open eye and near 0.1 for a closed one with landmarks that follow the lids. face-api's
 * 68-point net does not: on 65 real closed eyes in LFW it reads 0.21–0.37, no lower than open eyes,
 * so the blink challenge measures the lids with the iris model instead (eye-contour.ts); the ratio
 * stays for comparison. Yaw: where the nose tip sits between the two ends of the jaw line, −1
 * (turned to the subject's right) … +1 (to the left).
 */
function distance(a: Point | undefined, b: Point | undefined): number {
  if (a === undefined || b === undefined) return 0;
  return Math.hypot(a.x - b.x, a.y - b.y);
}

function eyeAspectRatio(points: readonly Point[], first: number): number {
  const p = (i: number): Point | undefined => points[first + i];
  const width = distance(p(0), p(3));
  return width === 0 ? 0 : (distance(p(1), p(5)) + distance(p(2), p(4))) / (2 * width);
}

export function eyeOpenness(points: readonly Point[]): number {
  return (eyeAspectRatio(points, 36) + eyeAspectRatio(points, 42)) / 2;
}

export function yawFromLandmarks(points: readonly Point[]): number {
  const toRight = distance(points[30], points[0]);
  const toLeft = distance(points[30], points[16]);
  return toRight + toLeft === 0 ? 0 : (toRight - toLeft) / (toRight + toLeft);
}
