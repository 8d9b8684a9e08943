import { describe, expect, it } from "vitest";
import { fftInPlace, powerSpectrum2d } from "./fft.js";
import { assessPassiveLiveness, DEFAULT_PASSIVE_THRESHOLDS, higherIsAttack, lowerIsAttack, measureBorder, measureGlare, measureMicroMotion, measureMoire, PassiveLivenessError } from "./index.js";
import { blobScene, box, render, type Scene } from "./test-fixtures/synthetic-scenes.js";

const W = 300;
const face = box(100, 100, 100);
const centre = { x: 150, y: 150 };
const plain = blobScene(7, centre, 120);
const T = DEFAULT_PASSIVE_THRESHOLDS;

/** A print's frame: paper brighter than the room, edges at ±115 px from the centre, turned `deg`. */
function framed(scene: Scene, deg: number, sides: "all" | "top"): Scene {
  const a = (deg * Math.PI) / 180;
  return (x, y) => {
    const u = Math.cos(a) * (x - 150) + Math.sin(a) * (y - 150);
    const v = -Math.sin(a) * (x - 150) + Math.cos(a) * (y - 150);
    const outside = sides === "all" ? Math.abs(u) > 115 || Math.abs(v) > 115 : v < -115;
    return outside ? 60 : scene(x, y);
  };
}

describe("fft", () => {
  it("puts a pure tone in its bin and keeps the energy (Parseval)", () => {
    const n = 64;
    const re = Float64Array.from({ length: n }, (_, k) => Math.cos((2 * Math.PI * 5 * k) / n));
    const im = new Float64Array(n);
    const energy = re.reduce((s, v) => s + v * v, 0);
    fftInPlace(re, im);
    const power = Array.from(re, (v, k) => v * v + (im[k] ?? 0) ** 2);
    expect(power[5]).toBeCloseTo((n / 2) ** 2, 6);
    expect(power[n - 5]).toBeCloseTo((n / 2) ** 2, 6);
    expect(power.reduce((s, v) => s + v, 0) / n).toBeCloseTo(energy, 6);
    expect(() => fftInPlace(new Float64Array(6), new Float64Array(6))).toThrow(RangeError);
  });

  it("finds a 2-D grating at its (u, v) frequency", () => {
    const n = 32;
    const patch = Float64Array.from({ length: n * n }, (_, i) => Math.sin((2 * Math.PI * (3 * (i % n) + 7 * Math.floor(i / n))) / n));
    const power = powerSpectrum2d(patch, n);
    const peak = power.indexOf(Math.max(...power));
    expect([7 * n + 3, (n - 7) * n + (n - 3)]).toContain(peak);
  });
});

describe("border cue", () => {
  it("finds a tilted frame around the face and not the face's own texture", () => {
    const without = measureBorder(render(plain, W, W, 2), face);
    const withFrame = measureBorder(render(framed(plain, 6, "all"), W, W, 2), face);
    expect(without.value).toBeLessThan(T.border);
    expect(withFrame.value).toBeGreaterThanOrEqual(T.border);
    expect(Math.min(withFrame.sides.top, withFrame.sides.bottom, withFrame.sides.left, withFrame.sides.right)).toBeGreaterThan(0.8);
  });

  it("scores one straight edge (a shelf behind the person) below a frame", () => {
    const oneEdge = measureBorder(render(framed(plain, 0, "top"), W, W, 2), face);
    const frame = measureBorder(render(framed(plain, 0, "all"), W, W, 2), face);
    expect(oneEdge.sides.top).toBeGreaterThan(0.8);
    expect(Math.max(oneEdge.sides.bottom, oneEdge.sides.left, oneEdge.sides.right)).toBeLessThan(0.5);
    expect(oneEdge.value).toBeLessThan(frame.value - 0.2);
  });
});

describe("moiré cue", () => {
  it("finds a fine periodic pattern on the face, and none in plain texture", () => {
    const grating: Scene = (x, y) => plain(x, y) + 10 * Math.sin(2 * Math.PI * (0.31 * x + 0.12 * y));
    const without = measureMoire(render(plain, W, W, 2), face);
    const withGrating = measureMoire(render(grating, W, W, 2), face);
    expect(without.value).toBeLessThan(T.moire);
    expect(withGrating.value).toBeGreaterThanOrEqual(T.moire);
    expect(withGrating.peak.fx).toBeCloseTo(0.31, 1);
    expect(Math.abs(withGrating.peak.fy)).toBeCloseTo(0.12, 1);
    expect(withGrating.patchSize).toBe(64);
  });

  it("ignores coarse structure below its band (a collar, an eyebrow)", () => {
    const coarse: Scene = (x, y) => plain(x, y) + 30 * Math.sin(2 * Math.PI * 0.05 * x);
    expect(measureMoire(render(coarse, W, W, 2), face).value).toBeLessThan(T.moire);
  });
});

describe("glare cue", () => {
  it("fires on a clipped white patch on the face, not on small specular points", () => {
    const patch: Scene = (x, y) => plain(x, y) + 400 * Math.exp(-((x - 170) ** 2 + (y - 130) ** 2) / (2 * 9 * 9));
    const points: Scene = (x, y) => plain(x, y) + (Math.hypot(x - 150, y - 160) < 1.6 || Math.hypot(x - 130, y - 120) < 1.6 ? 255 : 0);
    const glare = measureGlare(render(patch, W, W), face);
    expect(glare.value).toBeGreaterThanOrEqual(T.glare);
    expect(measureGlare(render(points, W, W), face).value).toBeLessThan(T.glare);
    expect(measureGlare(render(plain, W, W), face).value).toBe(0);
  });
});

describe("micro-motion cue", () => {
  const burst = (warp: (k: number) => (x: number, y: number) => [number, number]): { image: ReturnType<typeof render>; face: typeof face }[] =>
    Array.from({ length: 6 }, (_, k) => ({
      image: render((x, y) => plain(...warp(k)(x, y)), W, W, 2, 100 + k),
      face,
    }));

  it("fires on a still burst and on a rigidly moving one, not on a non-rigid one", () => {
    const still = measureMicroMotion(burst(() => (x, y) => [x, y]));
    // A held photo: shift and turn as one plane.
    const rigid = measureMicroMotion(
      burst((k) => {
        const a = (0.4 * k * Math.PI) / 180;
        return (x, y) => [Math.cos(a) * (x - 150) - Math.sin(a) * (y - 150) + 150 - 0.9 * k, Math.sin(a) * (x - 150) + Math.cos(a) * (y - 150) + 150 + 0.6 * k];
      }),
    );
    // A live face: the middle moves against the edges, and the whole shifts too.
    const live = measureMicroMotion(
      burst((k) => (x, y) => {
        const bump = Math.exp(-((x - 150) ** 2 + (y - 160) ** 2) / (2 * 25 * 25));
        return [x - 0.5 * k - 0.35 * k * bump, y + 0.3 * k * bump * Math.sign(x - 150)];
      }),
    );
    expect(still?.value).toBeLessThan(T.motion);
    expect(rigid?.value).toBeLessThan(T.motion);
    expect(rigid?.rigid).toBeGreaterThan(1);
    expect(live?.value).toBeGreaterThanOrEqual(T.motion);
  });

  it("cannot judge a single frame", () => {
    expect(measureMicroMotion([{ image: render(plain, W, W), face }])).toBeNull();
  });
});

describe("passive verdict", () => {
  it("gives every cue's value and score, lists the cues that fired, and scores below 0.5 exactly then", () => {
    const frames = Array.from({ length: 4 }, (_, k) => ({ image: render(framed(plain, 3, "all"), W, W, 2, k), face }));
    const verdict = assessPassiveLiveness(frames);
    expect(verdict.fired).toEqual(["border", "motion"]);
    expect(verdict.cues.border.fired).toBe(true);
    expect(verdict.cues.moire.fired).toBe(false);
    expect(verdict.score).toBeLessThan(0.5);
    expect(verdict.score).toBe(Math.min(...Object.values(verdict.cues).map((c) => c.score)));
    expect(verdict.frames).toBe(4);
  });

  it("passes a single clean frame, the motion cue marked as not judged", () => {
    const verdict = assessPassiveLiveness([{ image: render(plain, W, W, 2), face }]);
    expect(verdict.fired).toEqual([]);
    expect(verdict.cues.motion).toMatchObject({ value: null, fired: false, score: 1 });
    expect(verdict.score).toBeGreaterThan(0.5);
  });

  it("maps values to scores that are 0.5 at the threshold and fall on the attack side", () => {
    expect(higherIsAttack(0, 2).score).toBe(1);
    expect(higherIsAttack(2, 2)).toMatchObject({ fired: true });
    expect(higherIsAttack(2, 2).score).toBeLessThan(0.5);
    expect(higherIsAttack(1.99, 2).score).toBeGreaterThan(0.5);
    expect(higherIsAttack(8, 2).score).toBe(0);
    expect(lowerIsAttack(0, 0.3)).toMatchObject({ fired: true, score: 0 });
    expect(lowerIsAttack(0.3, 0.3).fired).toBe(false);
    expect(lowerIsAttack(1, 0.3).score).toBe(1);
  });

  it("stays finite on a tiny image and on a face box hanging over the image's edge", () => {
    const tiny = render(plain, 20, 20);
    const verdict = assessPassiveLiveness([
      { image: tiny, face: box(-10, -10, 40) },
      { image: tiny, face: box(15, 15, 30) },
    ]);
    for (const cue of Object.values(verdict.cues)) expect(cue.value === null || Number.isFinite(cue.value)).toBe(true);
    expect(Number.isFinite(verdict.score)).toBe(true);
  });

  it("refuses an empty burst with a typed error", () => {
    expect(() => assessPassiveLiveness([])).toThrow(PassiveLivenessError);
  });
});
