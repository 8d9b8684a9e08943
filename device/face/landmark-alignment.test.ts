import { describe, expect, it } from "vitest";
import type { Point } from "./blazeface-decoder.js";
import { chipPoint, chipToImage, dlibSamplingTransform, type ChipTransform } from "./face-aligner.js";
import { FaceChipAligner } from "./face-chip-aligner.js";
import type { FaceBox } from "./face-detector.js";
import {
  ALIGNMENT_LANDMARKS,
  chipToImagePoints,
  fitSimilarity,
  landmarkChipTransform,
  meanFacePoint,
  MIRRORED_LANDMARK,
  mirrorAveragedLandmarks,
  mirrorChip,
} from "./landmark-alignment.js";

/** Alignment geometry on known points: fits recover known transforms, and chips land where dlib puts them. */
const apply = (t: ChipTransform, p: Point): Point => ({ x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty });

/** A head tilted 17°, 1.3x the chip's scale, somewhere in a 640 x 480 frame. */
const KNOWN: ChipTransform = { a: 1.3 * Math.cos((17 * Math.PI) / 180), b: 1.3 * Math.sin((17 * Math.PI) / 180), tx: 211.5, ty: 97.25 };

/** 68 landmarks of dlib's mean face seen through `t` (jaw points 0–16, which dlib's mean face lacks, at the origin). */
function meanFaceLandmarks(t: ChipTransform, size = 150, padding = 0.25): Point[] {
  return Array.from({ length: 68 }, (_, i) => (i < 17 ? { x: 0, y: 0 } : apply(t, chipPoint(meanFacePoint(i), size, padding))));
}

describe("similarity fit", () => {
  it("recovers a known rotation, scale and translation exactly from clean points", () => {
    const from = [{ x: 10, y: 20 }, { x: 80, y: 25 }, { x: 45, y: 90 }, { x: 5, y: 60 }];
    const fit = fitSimilarity(from, from.map((p) => apply(KNOWN, p)));
    for (const key of ["a", "b", "tx", "ty"] as const) expect(fit[key]).toBeCloseTo(KNOWN[key], 10);
  });

  it("is the least-squares fit: symmetric noise on the points leaves it unchanged", () => {
    // Square corners pushed outwards and inwards alternately: the errors cancel in the fit.
    const from = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }];
    const noise = [{ x: -1, y: 0 }, { x: 1, y: 0 }, { x: 1, y: 0 }, { x: -1, y: 0 }];
    const to = from.map((p, i) => ({ x: p.x + (noise[i]?.x ?? 0), y: p.y + (noise[i]?.y ?? 0) }));
    // Least squares over x: scale (Σ p·q / Σ |p|² about the centroid) = 1 + 2·5·1·4 / (4·50) = 1.2 along x only,
    // which a similarity spreads to a = 1.1, b = 0.
    const fit = fitSimilarity(from, to);
    expect(fit.a).toBeCloseTo(1.1, 12);
    expect(fit.b).toBeCloseTo(0, 12);
    expect(apply(fit, { x: 5, y: 5 })).toEqual({ x: expect.closeTo(5, 12) as number, y: expect.closeTo(5, 12) as number });
  });

  it("refuses fewer than two points or points that coincide", () => {
    expect(() => fitSimilarity([{ x: 1, y: 1 }], [{ x: 2, y: 2 }])).toThrow(RangeError);
    expect(() => fitSimilarity([{ x: 1, y: 1 }, { x: 1, y: 1 }], [{ x: 2, y: 2 }, { x: 3, y: 3 }])).toThrow(RangeError);
  });
});

describe("dlib's landmark chip", () => {
  it("fits on 33 landmarks: nose, eyes and the upper lip", () => {
    expect(ALIGNMENT_LANDMARKS).toHaveLength(33);
    expect(ALIGNMENT_LANDMARKS).toEqual([...Array.from({ length: 28 }, (_, i) => 27 + i), 60, 61, 62, 63, 64]);
    // dlib's mean face: the subject's right eye corner (36) left of the left eye's (45), nose tip (30) on the midline.
    expect(meanFacePoint(36).x).toBeLessThan(meanFacePoint(45).x);
    expect(meanFacePoint(30).x).toBeCloseTo(0.490127, 6);
    expect(() => meanFacePoint(16)).toThrow(RangeError);
  });

  it("recovers the transform of a face whose landmarks are dlib's mean face moved by a known similarity", () => {
    const fit = landmarkChipTransform(meanFaceLandmarks(KNOWN), 150, 0.25);
    for (const key of ["a", "b", "tx", "ty"] as const) expect(fit[key]).toBeCloseTo(KNOWN[key], 9);
  });

  it("puts the mean face's nose tip at size · (0.25 + 0.490127) / 1.5 in the chip, whatever the head's pose", () => {
    const landmarks = meanFaceLandmarks(KNOWN);
    const fit = landmarkChipTransform(landmarks, 150, 0.25);
    // Invert the fit at the nose tip: image → chip.
    const nose = landmarks[30] ?? { x: 0, y: 0 };
    const det = fit.a * fit.a + fit.b * fit.b;
    const dx = nose.x - fit.tx;
    const dy = nose.y - fit.ty;
    expect((fit.a * dx + fit.b * dy) / det).toBeCloseTo((150 * (0.25 + 0.490127)) / 1.5, 9);
  });

  it("samples as dlib's extract_image_chip: corner pixels 0 and size − 1 on the corners of a size · scale square", () => {
    const t: ChipTransform = { a: 2, b: 0, tx: 10, ty: 20 };
    const sampling = dlibSamplingTransform(t, 150);
    // dlib: rect = centred at T(75, 75) = (160, 170), 300 px wide; chip pixel 0 → its left edge, 149 → its right edge.
    expect(apply(sampling, { x: 0, y: 0 }).x).toBeCloseTo(10, 9);
    expect(apply(sampling, { x: 0, y: 0 }).y).toBeCloseTo(20, 9);
    expect(apply(sampling, { x: 149, y: 149 }).x).toBeCloseTo(310, 9);
    expect(apply(sampling, { x: 149, y: 149 }).y).toBeCloseTo(320, 9);
  });
});

describe("mirrored landmarks", () => {
  it("pair each landmark with its mirror image, midline points with themselves", () => {
    expect([MIRRORED_LANDMARK[0], MIRRORED_LANDMARK[16], MIRRORED_LANDMARK[8], MIRRORED_LANDMARK[36], MIRRORED_LANDMARK[45], MIRRORED_LANDMARK[30], MIRRORED_LANDMARK[48]]).toEqual([16, 0, 8, 45, 36, 30, 54]);
    expect(MIRRORED_LANDMARK.every((m, i) => MIRRORED_LANDMARK[m] === i)).toBe(true);
  });

  it("cancel a model's constant offset: what it finds on the crop and on the mirror average to the truth", () => {
    const size = 112;
    const truth = meanFaceLandmarks({ a: 0.5, b: 0, tx: 20, ty: 10 }, size);
    const bias = { x: -0.43, y: 0.2 };
    const seen = truth.map((p) => ({ x: p.x + bias.x, y: p.y + bias.y }));
    // On the mirror image landmark j sits where truth's mirror partner does, flipped: x → size − 1 − x.
    const seenOnMirror = truth.map((_, j) => {
      const p = truth[MIRRORED_LANDMARK[j] ?? j] ?? { x: 0, y: 0 };
      return { x: size - 1 - p.x + bias.x, y: p.y + bias.y };
    });
    const averaged = mirrorAveragedLandmarks(seen, seenOnMirror, size);
    averaged.forEach((p, i) => {
      expect(p.x).toBeCloseTo(truth[i]?.x ?? 0, 9);
      expect(p.y).toBeCloseTo((truth[i]?.y ?? 0) + bias.y, 9);
    });
  });

  it("mirror a chip left to right", () => {
    const chip = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i);
    expect(Array.from(mirrorChip(chip, 2))).toEqual([3, 4, 5, 0, 1, 2, 9, 10, 11, 6, 7, 8]);
  });
});

describe("face chip aligner", () => {
  const face: FaceBox = { x: 200, y: 120, width: 120, height: 120, score: 0.9, keypoints: [{ x: 230, y: 160 }, { x: 290, y: 165 }, { x: 260, y: 190 }, { x: 260, y: 215 }, { x: 205, y: 170 }, { x: 315, y: 175 }] };
  const image = { data: new Uint8Array(640 * 480 * 3), width: 640, height: 480 };

  it("maps the landmark model's points from its crop back to the image and fits dlib's chip on them", async () => {
    // A stand-in landmark model that reports, in pixels of the crop the aligner shows it (the
    // eye-aligned 112 px crop at padding 0.1), where the known face's landmarks are.
    const truth = meanFaceLandmarks(KNOWN);
    const crop = chipToImage(face.keypoints[0] ?? { x: 0, y: 0 }, face.keypoints[1] ?? { x: 0, y: 0 }, 112, 0.1);
    const det = crop.a * crop.a + crop.b * crop.b;
    const model = {
      chipSize: 112,
      landmarks: (): Promise<Point[]> =>
        Promise.resolve(truth.map((p) => ({ x: (crop.a * (p.x - crop.tx) + crop.b * (p.y - crop.ty)) / det, y: (-crop.b * (p.x - crop.tx) + crop.a * (p.y - crop.ty)) / det }))),
    };
    const aligner = new FaceChipAligner(150, model, { landmarkCrop: "eyes", landmarkPadding: 0.1, mirrorLandmarks: false });
    const aligned = await aligner.align(image, face);
    expect(aligned?.method).toBe("landmarks68");
    const expected = dlibSamplingTransform(KNOWN, 150);
    for (const key of ["a", "b", "tx", "ty"] as const) expect(aligned?.transform[key]).toBeCloseTo(expected[key], 6);
    expect(chipToImagePoints([{ x: 0, y: 0 }], aligned?.transform ?? KNOWN)[0]?.x).toBeCloseTo(expected.tx, 6);
    expect(aligned?.landmarks?.[30]?.x).toBeCloseTo(truth[30]?.x ?? 0, 6);
  });

  it("falls back to the two eyes without a landmark model, and needs the eye keypoints", async () => {
    const aligner = new FaceChipAligner(150, null);
    expect((await aligner.align(image, face))?.method).toBe("eyes");
    expect(await aligner.align(image, { ...face, keypoints: [] })).toBeNull();
  });
});
