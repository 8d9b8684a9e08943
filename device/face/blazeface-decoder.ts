/**
 * Pure decoding of BlazeFace outputs (MediaPipe's SSD face detector): anchors, sigmoid scores,
 * box and keypoint regression, and weighted non-maximum suppression, all in coordinates normalised
 * to the model's square input (0..1). No I/O; face-detector.ts maps the result back to the image.
 */
export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Detection {
  /** Box centre and size, normalised to the model input. */
  readonly cx: number;
  readonly cy: number;
  readonly width: number;
  readonly height: number;
  readonly score: number;
  /** right eye, left eye, nose tip, mouth, right ear, left ear (the subject's right and left). */
  readonly keypoints: readonly Point[];
}

export interface AnchorSpec {
  /** Cells per side of each anchor grid, e.g. [16, 8]. */
  readonly grids: readonly number[];
  /** Anchors per cell of each grid, e.g. [2, 6]. */
  readonly perCell: readonly number[];
}

/** Anchor centres in grid order, cell by cell, each repeated `perCell` times (MediaPipe SsdAnchors, offset 0.5). */
export function blazefaceAnchors(spec: AnchorSpec): Float32Array {
  const total = spec.grids.reduce((sum, g, i) => sum + g * g * (spec.perCell[i] ?? 0), 0);
  const anchors = new Float32Array(total * 2);
  let k = 0;
  spec.grids.forEach((grid, i) => {
    const perCell = spec.perCell[i] ?? 0;
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let a = 0; a < perCell; a++) {
          anchors[k++] = (x + 0.5) / grid;
          anchors[k++] = (y + 0.5) / grid;
        }
      }
    }
  });
  return anchors;
}

export interface RawOutputs {
  /** Logits per anchor, all grids concatenated in anchor order. */
  readonly logits: Float32Array;
  /** 16 values per anchor: dx, dy, w, h, then 6 keypoints (x, y), in input pixels. */
  readonly regressors: Float32Array;
}

const KEYPOINTS = 6;
const VALUES_PER_ANCHOR = 4 + 2 * KEYPOINTS;

export function decodeBlazeface(
  raw: RawOutputs,
  anchors: Float32Array,
  inputSize: number,
  thresholds: { readonly minScore: number; readonly nmsIou: number },
): Detection[] {
  const count = anchors.length / 2;
  // Compare logits, not scores: sigmoid only for the few that pass (logit(p) = ln(p / (1 - p))).
  const minLogit = Math.log(thresholds.minScore / (1 - thresholds.minScore));
  const candidates: Detection[] = [];
  for (let i = 0; i < count; i++) {
    const logit = raw.logits[i] ?? Number.NEGATIVE_INFINITY;
    if (logit < minLogit) continue;
    const ax = anchors[2 * i] ?? 0;
    const ay = anchors[2 * i + 1] ?? 0;
    const r = i * VALUES_PER_ANCHOR;
    const value = (j: number): number => (raw.regressors[r + j] ?? 0) / inputSize;
    const keypoints: Point[] = [];
    for (let k = 0; k < KEYPOINTS; k++) keypoints.push({ x: ax + value(4 + 2 * k), y: ay + value(5 + 2 * k) });
    candidates.push({
      cx: ax + value(0),
      cy: ay + value(1),
      width: value(2),
      height: value(3),
      score: 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, logit)))),
      keypoints,
    });
  }
  return weightedNonMaxSuppression(candidates, thresholds.nmsIou);
}

export function iou(a: Detection, b: Detection): number {
  const left = Math.max(a.cx - a.width / 2, b.cx - b.width / 2);
  const right = Math.min(a.cx + a.width / 2, b.cx + b.width / 2);
  const top = Math.max(a.cy - a.height / 2, b.cy - b.height / 2);
  const bottom = Math.min(a.cy + a.height / 2, b.cy + b.height / 2);
  const intersection = Math.max(0, right - left) * Math.max(0, bottom - top);
  const union = a.width * a.height + b.width * b.height - intersection;
  return union <= 0 ? 0 : intersection / union;
}

/**
 * MediaPipe's weighted NMS: the best remaining detection absorbs every other that overlaps it by more
 * than `iouThreshold`, and the merged box and keypoints are the score-weighted mean of the cluster
 * (steadier than keeping only the best box), with the best score.
 */
export function weightedNonMaxSuppression(detections: readonly Detection[], iouThreshold: number): Detection[] {
  let remaining = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0];
    if (best === undefined) break;
    const cluster = remaining.filter((d) => iou(best, d) > iouThreshold);
    remaining = remaining.filter((d) => iou(best, d) <= iouThreshold && d !== best);
    if (!cluster.includes(best)) cluster.push(best);
    const total = cluster.reduce((sum, d) => sum + d.score, 0);
    const mean = (pick: (d: Detection) => number): number => cluster.reduce((sum, d) => sum + pick(d) * d.score, 0) / total;
    kept.push({
      cx: mean((d) => d.cx),
      cy: mean((d) => d.cy),
      width: mean((d) => d.width),
      height: mean((d) => d.height),
      score: best.score,
      keypoints: best.keypoints.map((_, k) => ({ x: mean((d) => d.keypoints[k]?.x ?? 0), y: mean((d) => d.keypoints[k]?.y ?? 0) })),
    });
  }
  return kept;
}
