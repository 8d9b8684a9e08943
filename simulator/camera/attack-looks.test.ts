import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PASSIVE_THRESHOLDS, measureBorder, measureGlare, measureMicroMotion, measureMoire } from "../../device/face/passive-liveness/index.js";
import { addSensorNoise, applyHomography, cropFrame, decodeFrame, homography, printedPhotoLook, screenReplayLook, stillBurst, type RawFrame } from "./attack-looks.js";
import { blinkClosure, closeEyes, liveBurst } from "./attack-looks-live-burst.js";

/**
 * Each look has the property that defines it, measured with the passive cue built to see it (the
 * cues are pure functions over pixels) or directly on the pixels. The face is a real LFW photograph,
 * cropped inside the black frame this copy of LFW carries.
 */
const FACE = fileURLToPath(new URL("../../../shared/faces/lfw/Aaron_Sorkin/Aaron_Sorkin_0001.jpg", import.meta.url));
const T = DEFAULT_PASSIVE_THRESHOLDS;
let source: RawFrame;

beforeAll(async () => {
  source = cropFrame(await decodeFrame(readFileSync(FACE)), 25, 25, 200, 200);
});

/** A square box of `share` of the frame's width at its centre, where these looks put the face. */
function centreBox(frame: RawFrame, share: number): { x: number; y: number; width: number; height: number } {
  const side = share * frame.width;
  return { x: (frame.width - side) / 2, y: (frame.height - side) / 2, width: side, height: side };
}

function luminanceSpread(frame: RawFrame, region: { x: number; y: number; width: number; height: number }): number {
  const values: number[] = [];
  for (let y = Math.round(region.y); y < region.y + region.height; y++) {
    for (let x = Math.round(region.x); x < region.x + region.width; x++) {
      const i = (y * frame.width + x) * 3;
      values.push(0.299 * (frame.data[i] ?? 0) + 0.587 * (frame.data[i + 1] ?? 0) + 0.114 * (frame.data[i + 2] ?? 0));
    }
  }
  values.sort((a, b) => a - b);
  return (values[Math.floor(values.length * 0.98)] ?? 0) - (values[Math.floor(values.length * 0.02)] ?? 0);
}

function channelMeans(frame: RawFrame, region: { x: number; y: number; width: number; height: number }): [number, number, number] {
  const sums = [0, 0, 0];
  let n = 0;
  for (let y = Math.round(region.y); y < region.y + region.height; y++) {
    for (let x = Math.round(region.x); x < region.x + region.width; x++) {
      for (let c = 0; c < 3; c++) sums[c] = (sums[c] ?? 0) + (frame.data[(y * frame.width + x) * 3 + c] ?? 0);
      n++;
    }
  }
  return [(sums[0] ?? 0) / n, (sums[1] ?? 0) / n, (sums[2] ?? 0) / n];
}

describe("printed-photo look", () => {
  it("squeezes the tonal range and frames the face with the paper's edge", () => {
    const print = printedPhotoLook(source, 1);
    expect(luminanceSpread(print, centreBox(print, 0.35))).toBeLessThan(0.85 * luminanceSpread(source, centreBox(source, 0.5)));
    expect(measureBorder(print, centreBox(print, 0.4)).value).toBeGreaterThanOrEqual(T.border);
    expect(measureBorder(source, centreBox(source, 0.55)).value).toBeLessThan(T.border);
  });

  it("is the same for the same seed and differs for another", () => {
    expect(Buffer.from(printedPhotoLook(source, 5).data).equals(Buffer.from(printedPhotoLook(source, 5).data))).toBe(true);
    expect(Buffer.from(printedPhotoLook(source, 5).data).equals(Buffer.from(printedPhotoLook(source, 6).data))).toBe(false);
  });
});

describe("screen-replay look", () => {
  it("carries the periodic spectral peak the moiré cue looks for", () => {
    const screen = screenReplayLook(source, 2, { glare: false });
    expect(measureMoire(screen, centreBox(screen, 0.35)).value).toBeGreaterThanOrEqual(T.moire);
    expect(measureMoire(source, centreBox(source, 0.5)).value).toBeLessThan(T.moire);
  });

  it("has a bluish cast, a dark bezel, and a clipped glare patch only when asked", () => {
    const screen = screenReplayLook(source, 3);
    const [r, , b] = channelMeans(screen, centreBox(screen, 0.5));
    expect(b).toBeGreaterThan(1.1 * r);
    // The bezel: a dark band between the display and the room on the left, at mid height.
    const row = Math.round(screen.height / 2);
    const darkest = Math.min(...Array.from({ length: Math.round(screen.width * 0.25) }, (_, x) => screen.data[(row * screen.width + x) * 3] ?? 255));
    expect(darkest).toBeLessThan(30);
    const region = centreBox(screen, 0.6);
    expect(measureGlare(screen, region).saturatedShare).toBeGreaterThan(0.005);
    const noGlare = screenReplayLook(source, 3, { glare: false });
    expect(measureGlare(noGlare, region).saturatedShare).toBeLessThan(measureGlare(screen, region).saturatedShare / 5);
  });
});

describe("bursts", () => {
  const faceBox = { x: 45, y: 45, width: 110, height: 110 };

  it("a still burst repeats the frame exactly; a held one moves it rigidly, never non-rigidly", () => {
    const identical = stillBurst(source, 4, 1, "identical");
    expect(identical.every((f) => Buffer.from(f.data).equals(Buffer.from(source.data)))).toBe(true);
    const held = stillBurst(source, 6, 1, "rigid").map((f, k) => addSensorNoise(f, 2, k));
    const motion = measureMicroMotion(held.map((image) => ({ image, face: faceBox })));
    expect(motion?.rigid).toBeGreaterThan(0.5);
    expect(motion?.value).toBeLessThan(T.motion);
  });

  it("the live burst moves non-rigidly, and its blink covers the eyes", () => {
    const eyes = [
      { x: 77, y: 88 },
      { x: 123, y: 88 },
    ] as const;
    const live = liveBurst(source, 6, 1, { eyes, closure: blinkClosure(6, 3) }).map((f, k) => addSensorNoise(f, 2, k));
    const motion = measureMicroMotion(live.map((image) => ({ image, face: faceBox })));
    expect(motion?.value).toBeGreaterThanOrEqual(T.motion);
    const eyeBox = { x: 65, y: 82, width: 24, height: 12 };
    expect(luminanceSpread(closeEyes(source, eyes, 46, 1), eyeBox)).toBeLessThan(luminanceSpread(source, eyeBox));
    expect(blinkClosure(5, 2)).toEqual([0, 0.55, 1, 0.55, 0]);
  });

  it("sensor noise has the asked spread and is deterministic", () => {
    const noisy = addSensorNoise(source, 3, "n");
    let sum = 0;
    let count = 0;
    for (let i = 0; i < source.data.length; i++) {
      const v = source.data[i] ?? 0;
      if (v < 15 || v > 240) continue; // clipping would shrink the spread
      sum += ((noisy.data[i] ?? 0) - v) ** 2;
      count++;
    }
    expect(Math.sqrt(sum / count)).toBeGreaterThan(2.6);
    expect(Math.sqrt(sum / count)).toBeLessThan(3.4);
    expect(Buffer.from(addSensorNoise(source, 3, "n").data).equals(Buffer.from(noisy.data))).toBe(true);
  });
});

describe("geometry helpers", () => {
  it("a homography takes the four corners where asked", () => {
    const from = [[0, 0], [10, 0], [10, 10], [0, 10]] as const;
    const to = [[2, 1], [12, 3], [11, 14], [1, 9]] as const;
    const h = homography(from, to);
    for (let i = 0; i < 4; i++) {
      const [x, y] = applyHomography(h, from[i]?.[0] ?? 0, from[i]?.[1] ?? 0);
      expect(x).toBeCloseTo(to[i]?.[0] ?? 0, 6);
      expect(y).toBeCloseTo(to[i]?.[1] ?? 0, 6);
    }
  });

  it("a crop outside the frame is refused", () => {
    expect(() => cropFrame(source, 150, 150, 100, 100)).toThrow(RangeError);
  });
});
