import { describe, expect, it } from "vitest";
import { blazefaceAnchors, decodeBlazeface, iou, weightedNonMaxSuppression, type Detection } from "./blazeface-decoder.js";

const SPEC = { grids: [16, 8], perCell: [2, 6] };
const anchors = blazefaceAnchors(SPEC);

function rawWith(entries: { anchor: number; logit: number; values: number[] }[]): { logits: Float32Array; regressors: Float32Array } {
  const logits = new Float32Array(896).fill(-20);
  const regressors = new Float32Array(896 * 16);
  for (const { anchor, logit, values } of entries) {
    logits[anchor] = logit;
    regressors.set(values, anchor * 16);
  }
  return { logits, regressors };
}

function detection(cx: number, cy: number, size: number, score: number): Detection {
  return { cx, cy, width: size, height: size, score, keypoints: [{ x: cx, y: cy }] };
}

describe("BlazeFace anchors", () => {
  it("lays 896 anchors: 16x16 cells x 2, then 8x8 cells x 6, centred in their cells", () => {
    expect(anchors.length).toBe(896 * 2);
    expect([anchors[0], anchors[1], anchors[2], anchors[3]]).toEqual([1 / 32, 1 / 32, 1 / 32, 1 / 32]);
    expect([anchors[4], anchors[5]]).toEqual([3 / 32, 1 / 32]);
    // First anchor of the 8x8 grid.
    expect([anchors[512 * 2], anchors[512 * 2 + 1]]).toEqual([1 / 16, 1 / 16]);
    expect([anchors[895 * 2], anchors[895 * 2 + 1]]).toEqual([15 / 16, 15 / 16]);
  });
});

describe("BlazeFace decoding", () => {
  it("turns regressors in input pixels into a box and keypoints around the anchor", () => {
    const anchor = 600; // on the 8x8 grid
    const values = [12.8, -25.6, 128, 102.4, -25.6, -25.6, 25.6, -25.6, 0, 0, 0, 25.6, -51.2, 0, 51.2, 0];
    const [face] = decodeBlazeface(rawWith([{ anchor, logit: 3, values }]), anchors, 256, { minScore: 0.6, nmsIou: 0.3 });
    const ax = anchors[anchor * 2] ?? 0;
    const ay = anchors[anchor * 2 + 1] ?? 0;
    expect(face?.cx).toBeCloseTo(ax + 0.05, 6);
    expect(face?.cy).toBeCloseTo(ay - 0.1, 6);
    expect(face?.width).toBeCloseTo(0.5, 6);
    expect(face?.height).toBeCloseTo(0.4, 6);
    expect(face?.score).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect(face?.keypoints[0]?.x).toBeCloseTo(ax - 0.1, 6);
    expect(face?.keypoints[5]?.x).toBeCloseTo(ax + 0.2, 6);
  });

  it("drops anchors whose score is under the threshold", () => {
    const raw = rawWith([{ anchor: 10, logit: 0.3, values: new Array<number>(16).fill(0) }]);
    expect(decodeBlazeface(raw, anchors, 256, { minScore: 0.6, nmsIou: 0.3 })).toEqual([]);
    expect(decodeBlazeface(raw, anchors, 256, { minScore: 0.5, nmsIou: 0.3 })).toHaveLength(1);
  });
});

describe("weighted non-maximum suppression", () => {
  it("merges overlapping detections into their score-weighted mean and keeps separate faces apart", () => {
    const merged = weightedNonMaxSuppression([detection(0.5, 0.5, 0.2, 0.9), detection(0.52, 0.5, 0.2, 0.3), detection(0.1, 0.1, 0.1, 0.8)], 0.3);
    expect(merged).toHaveLength(2);
    expect(merged[0]?.score).toBe(0.9);
    expect(merged[0]?.cx).toBeCloseTo((0.5 * 0.9 + 0.52 * 0.3) / 1.2, 9);
    expect(merged[1]?.cx).toBeCloseTo(0.1, 9);
  });

  it("measures overlap as intersection over union", () => {
    expect(iou(detection(0.5, 0.5, 0.2, 1), detection(0.5, 0.5, 0.2, 1))).toBeCloseTo(1, 9);
    expect(iou(detection(0.5, 0.5, 0.2, 1), detection(0.6, 0.5, 0.2, 1))).toBeCloseTo(0.02 / 0.06, 9);
    expect(iou(detection(0.1, 0.1, 0.1, 1), detection(0.9, 0.9, 0.1, 1))).toBe(0);
  });
});
