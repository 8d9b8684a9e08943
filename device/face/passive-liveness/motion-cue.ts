import type { RgbImage } from "../face-aligner.js";
import type { FaceBox } from "../face-detector.js";
import { greySampled, regionAround, type GreyPatch } from "./luminance.js";

/**
 * Frame-to-frame micro-motion over a burst. A printed photo held in a hand moves rigidly (the whole
 * face shifts and turns as one plane), a still image on a screen does not move at all, and a live
 * face shows small non-rigid motion: the nose moves against the cheeks as the head turns a little,
 * the eyes and mouth move on their own. The cue samples a fixed window (the first frame's face box
 * widened 1.2x) of every frame onto a 64 x 64 grid and registers each later frame to the first with
 * one affine motion (block matching, ±4 cells, for a start; Gauss–Newton over the window to refine
 * it). An affine map is what a plane does under a small turn, so what it leaves over is non-rigid:
 * the cue measures that leftover as the Lucas–Kanade shift of 16 x 16 blocks, takes its 75th
 * percentile per frame, and the largest over the burst (non-rigid motion builds up across a burst,
 * estimation noise does not). Low values fire: too rigid, or still.
 */
export interface MotionMeasure {
  /** Non-rigid residual, grid cells (1 cell = 1.2/64 of the face box width). */
  readonly value: number;
  /** Largest mean affine displacement against the first frame, grid cells (for the record: rigid motion is allowed). */
  readonly rigid: number;
  /** Frames compared with the first. */
  readonly pairs: number;
}

export const MOTION_GRID = 64;
const BLOCK = 8;
const SEARCH = 4;
/** Mean |gradient| a block needs for its motion to be trusted (flat skin under noise is not). */
const MIN_TEXTURE = 2;

export function measureMicroMotion(frames: readonly { image: RgbImage; face: Pick<FaceBox, "x" | "y" | "width" | "height"> }[]): MotionMeasure | null {
  const first = frames[0];
  if (first === undefined || frames.length < 2) return null;
  const window = regionAround(first.face, first.image, 1.2);
  if (window.width < 16 || window.height < 16) return null;
  const reference = greySampled(first.image, window, MOTION_GRID);
  const gradients = centralGradients(reference);
  const residuals: number[] = [];
  const rigid: number[] = [];
  for (const frame of frames.slice(1)) {
    const pair = pairMotion(reference, greySampled(frame.image, window, MOTION_GRID), gradients);
    if (pair === null) continue;
    residuals.push(pair.residual);
    rigid.push(pair.rigid);
  }
  if (residuals.length === 0) return null;
  return { value: Math.max(...residuals), rigid: Math.max(...rigid), pairs: residuals.length };
}

interface BlockMotion {
  readonly x: number;
  readonly y: number;
  readonly dx: number;
  readonly dy: number;
}

interface Gradients {
  readonly gx: Float64Array;
  readonly gy: Float64Array;
}

/**
 * Motion of `b` against the reference `a`: block matching gives a first affine motion, Gauss–Newton
 * over the whole window refines it, and Lucas–Kanade on 16 x 16 blocks (stride 8) of the affinely
 * registered frame measures what is left. Returns the 75th percentile of the leftover block shifts
 * and the mean affine displacement, both in grid cells.
 */
export function pairMotion(a: GreyPatch, b: GreyPatch, gradients: Gradients = centralGradients(a)): { residual: number; rigid: number } | null {
  const blocks: BlockMotion[] = [];
  for (let oy = SEARCH; oy + BLOCK + SEARCH <= a.height; oy += BLOCK) {
    for (let ox = SEARCH; ox + BLOCK + SEARCH <= a.width; ox += BLOCK) {
      if (texture(a, ox, oy) < MIN_TEXTURE) continue;
      blocks.push({ x: ox + BLOCK / 2, y: oy + BLOCK / 2, ...blockShift(a, b, ox, oy) });
    }
  }
  if (blocks.length < 6) return null;
  const errors = (f: Affine): number[] => blocks.map((k) => Math.hypot(k.dx - (f.a0 + f.a1 * k.x + f.a2 * k.y), k.dy - (f.b0 + f.b1 * k.x + f.b2 * k.y)));
  const coarse = fitAffine(blocks);
  const first = errors(coarse);
  const cut = [...first].sort((p, q) => p - q)[Math.floor(first.length * 0.75)] ?? Number.POSITIVE_INFINITY;
  let affine = fitAffine(blocks.filter((_, i) => (first[i] ?? 0) <= cut));
  for (let iteration = 0; iteration < REFINE_ITERATIONS; iteration++) affine = refineAffine(a, b, gradients, affine);
  const registered = warpAffine(b, affine);
  const leftovers = leftoverShifts(a, registered, gradients).sort((p, q) => p - q);
  if (leftovers.length < 6) return null;
  let rigid = 0;
  for (const k of blocks) rigid += Math.hypot(affine.a0 + affine.a1 * k.x + affine.a2 * k.y, affine.b0 + affine.b1 * k.x + affine.b2 * k.y);
  return { residual: leftovers[Math.floor(leftovers.length * 0.75)] ?? 0, rigid: rigid / blocks.length };
}

const REFINE_ITERATIONS = 2;
const MARGIN = SEARCH;
const LK_BLOCK = 16;
const LK_STRIDE = 8;
/** Least smaller eigenvalue of a block's structure tensor (per pixel) for its shift to be trusted. */
const MIN_STRUCTURE = 4;

export function centralGradients(g: GreyPatch): Gradients {
  const gx = new Float64Array(g.width * g.height);
  const gy = new Float64Array(g.width * g.height);
  for (let y = 1; y < g.height - 1; y++) {
    for (let x = 1; x < g.width - 1; x++) {
      const i = y * g.width + x;
      gx[i] = ((g.data[i + 1] ?? 0) - (g.data[i - 1] ?? 0)) / 2;
      gy[i] = ((g.data[i + g.width] ?? 0) - (g.data[i - g.width] ?? 0)) / 2;
    }
  }
  return { gx, gy };
}

/** `b` sampled at p + motion(p): the frame brought back onto the reference's grid. */
export function warpAffine(b: GreyPatch, f: Affine): GreyPatch {
  const data = new Float32Array(b.width * b.height);
  for (let y = 0; y < b.height; y++) {
    for (let x = 0; x < b.width; x++) data[y * b.width + x] = sampleGrey(b, x + f.a0 + f.a1 * x + f.a2 * y, y + f.b0 + f.b1 * x + f.b2 * y);
  }
  return { data, width: b.width, height: b.height };
}

/** One Gauss–Newton step on the six affine parameters, with the reference's gradients. */
function refineAffine(a: GreyPatch, b: GreyPatch, g: Gradients, f: Affine): Affine {
  const h = new Float64Array(36);
  const r = new Float64Array(6);
  const j = new Float64Array(6);
  for (let y = MARGIN; y < a.height - MARGIN; y++) {
    for (let x = MARGIN; x < a.width - MARGIN; x++) {
      const i = y * a.width + x;
      const e = sampleGrey(b, x + f.a0 + f.a1 * x + f.a2 * y, y + f.b0 + f.b1 * x + f.b2 * y) - (a.data[i] ?? 0);
      const ix = g.gx[i] ?? 0;
      const iy = g.gy[i] ?? 0;
      j[0] = ix;
      j[1] = ix * x;
      j[2] = ix * y;
      j[3] = iy;
      j[4] = iy * x;
      j[5] = iy * y;
      for (let p = 0; p < 6; p++) {
        r[p] = (r[p] ?? 0) + (j[p] ?? 0) * e;
        for (let q = 0; q < 6; q++) h[p * 6 + q] = (h[p * 6 + q] ?? 0) + (j[p] ?? 0) * (j[q] ?? 0);
      }
    }
  }
  const step = solveLinear(h, r, 6);
  if (step === null) return f;
  return { a0: f.a0 - (step[0] ?? 0), a1: f.a1 - (step[1] ?? 0), a2: f.a2 - (step[2] ?? 0), b0: f.b0 - (step[3] ?? 0), b1: f.b1 - (step[4] ?? 0), b2: f.b2 - (step[5] ?? 0) };
}

/** Lucas–Kanade shift of each well-structured 16 x 16 block of the registered frame. */
function leftoverShifts(a: GreyPatch, registered: GreyPatch, g: Gradients): number[] {
  const shifts: number[] = [];
  for (let oy = MARGIN; oy + LK_BLOCK <= a.height - MARGIN; oy += LK_STRIDE) {
    for (let ox = MARGIN; ox + LK_BLOCK <= a.width - MARGIN; ox += LK_STRIDE) {
      let sxx = 0;
      let sxy = 0;
      let syy = 0;
      let bx = 0;
      let by = 0;
      for (let y = oy; y < oy + LK_BLOCK; y++) {
        for (let x = ox; x < ox + LK_BLOCK; x++) {
          const i = y * a.width + x;
          const ix = g.gx[i] ?? 0;
          const iy = g.gy[i] ?? 0;
          const e = (registered.data[i] ?? 0) - (a.data[i] ?? 0);
          sxx += ix * ix;
          sxy += ix * iy;
          syy += iy * iy;
          bx += ix * e;
          by += iy * e;
        }
      }
      const n = LK_BLOCK * LK_BLOCK;
      const trace = (sxx + syy) / n;
      const det = (sxx * syy - sxy * sxy) / (n * n);
      const smaller = trace / 2 - Math.sqrt(Math.max(0, (trace * trace) / 4 - det));
      if (smaller < MIN_STRUCTURE) continue;
      const d = sxx * syy - sxy * sxy;
      shifts.push(Math.hypot((syy * bx - sxy * by) / d, (sxx * by - sxy * bx) / d));
    }
  }
  return shifts;
}

function sampleGrey(g: GreyPatch, x: number, y: number): number {
  const cx = Math.min(g.width - 1.001, Math.max(0, x));
  const cy = Math.min(g.height - 1.001, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const fx = cx - x0;
  const fy = cy - y0;
  const i = y0 * g.width + x0;
  const top = (g.data[i] ?? 0) * (1 - fx) + (g.data[i + 1] ?? 0) * fx;
  const bottom = (g.data[i + g.width] ?? 0) * (1 - fx) + (g.data[i + g.width + 1] ?? 0) * fx;
  return top * (1 - fy) + bottom * fy;
}

function texture(g: GreyPatch, ox: number, oy: number): number {
  let sum = 0;
  for (let y = oy; y < oy + BLOCK; y++) {
    for (let x = ox; x < ox + BLOCK; x++) {
      const p = g.data[y * g.width + x] ?? 0;
      sum += Math.abs((g.data[y * g.width + x + 1] ?? p) - p) + Math.abs((g.data[(y + 1) * g.width + x] ?? p) - p);
    }
  }
  return sum / (BLOCK * BLOCK);
}

/** Where block (ox, oy) of `a` went in `b`: best sum of absolute differences, refined by a parabola. */
function blockShift(a: GreyPatch, b: GreyPatch, ox: number, oy: number): { dx: number; dy: number } {
  const side = 2 * SEARCH + 1;
  const costs = new Float64Array(side * side);
  let best = 0;
  for (let sy = -SEARCH; sy <= SEARCH; sy++) {
    for (let sx = -SEARCH; sx <= SEARCH; sx++) {
      let sad = 0;
      for (let y = 0; y < BLOCK; y++) {
        const ra = (oy + y) * a.width + ox;
        const rb = (oy + y + sy) * b.width + ox + sx;
        for (let x = 0; x < BLOCK; x++) sad += Math.abs((a.data[ra + x] ?? 0) - (b.data[rb + x] ?? 0));
      }
      const k = (sy + SEARCH) * side + sx + SEARCH;
      costs[k] = sad;
      if (sad < (costs[best] ?? Number.POSITIVE_INFINITY)) best = k;
    }
  }
  const bx = best % side;
  const by = Math.floor(best / side);
  const refine = (minus: number | undefined, centre: number, plus: number | undefined): number => {
    if (minus === undefined || plus === undefined) return 0;
    const curvature = minus - 2 * centre + plus;
    return curvature > 0 ? Math.max(-0.5, Math.min(0.5, (minus - plus) / (2 * curvature))) : 0;
  };
  const c = costs[best] ?? 0;
  const fx = bx > 0 && bx < side - 1 ? refine(costs[best - 1], c, costs[best + 1]) : 0;
  const fy = by > 0 && by < side - 1 ? refine(costs[best - side], c, costs[best + side]) : 0;
  return { dx: bx - SEARCH + fx, dy: by - SEARCH + fy };
}

export interface Affine {
  readonly a0: number;
  readonly a1: number;
  readonly a2: number;
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
}

/** Least-squares affine motion (dx = a0 + a1 x + a2 y, dy likewise), by the 3 x 3 normal equations. */
export function fitAffine(blocks: readonly BlockMotion[]): Affine {
  const m = new Float64Array(9);
  const rx = new Float64Array(3);
  const ry = new Float64Array(3);
  for (const k of blocks) {
    const row = [1, k.x, k.y];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) m[i * 3 + j] = (m[i * 3 + j] ?? 0) + (row[i] ?? 0) * (row[j] ?? 0);
      rx[i] = (rx[i] ?? 0) + (row[i] ?? 0) * k.dx;
      ry[i] = (ry[i] ?? 0) + (row[i] ?? 0) * k.dy;
    }
  }
  const ax = solveLinear(m, rx, 3);
  const ay = solveLinear(m, ry, 3);
  // A singular system (all blocks on one line) falls back to the mean translation.
  if (ax === null || ay === null) {
    const n = Math.max(1, blocks.length);
    return { a0: blocks.reduce((s, k) => s + k.dx, 0) / n, a1: 0, a2: 0, b0: blocks.reduce((s, k) => s + k.dy, 0) / n, b1: 0, b2: 0 };
  }
  return { a0: ax[0] ?? 0, a1: ax[1] ?? 0, a2: ax[2] ?? 0, b0: ay[0] ?? 0, b1: ay[1] ?? 0, b2: ay[2] ?? 0 };
}

/** Solves the n x n system m x = r (Gaussian elimination, partial pivoting); null when singular. */
export function solveLinear(m: Float64Array, r: Float64Array, n: number): Float64Array | null {
  const a = Float64Array.from(m);
  const x = Float64Array.from(r);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row * n + col] ?? 0) > Math.abs(a[pivot * n + col] ?? 0)) pivot = row;
    const p = a[pivot * n + col] ?? 0;
    if (Math.abs(p) < 1e-12) return null;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const t = a[col * n + k] ?? 0;
        a[col * n + k] = a[pivot * n + k] ?? 0;
        a[pivot * n + k] = t;
      }
      const t = x[col] ?? 0;
      x[col] = x[pivot] ?? 0;
      x[pivot] = t;
    }
    for (let row = col + 1; row < n; row++) {
      const factor = (a[row * n + col] ?? 0) / p;
      if (factor === 0) continue;
      for (let k = col; k < n; k++) a[row * n + k] = (a[row * n + k] ?? 0) - factor * (a[col * n + k] ?? 0);
      x[row] = (x[row] ?? 0) - factor * (x[col] ?? 0);
    }
  }
  for (let row = n - 1; row >= 0; row--) {
    let sum = x[row] ?? 0;
    for (let k = row + 1; k < n; k++) sum -= (a[row * n + k] ?? 0) * (x[k] ?? 0);
    x[row] = sum / (a[row * n + row] ?? 1);
  }
  return x;
}
