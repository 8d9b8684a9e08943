import { SeededRandom } from "../fleet/seeded-random.js";
import { gaussian, remap, type RawFrame } from "./attack-looks.js";

/**
 * The genuine counterpart the attack looks are measured against, made from one real photograph:
 * a burst in which the face moves a little as a whole (a slow random walk of shift, rotation and
 * scale), deforms a little non-rigidly (smooth Gaussian bumps of displacement that wander from
 * frame to frame, up to about 1.5 % of the face width, and a parallax term that moves the middle
 * of the face against its edges as a small head turn does), and, when asked, blinks: each eye is covered by
 * lid-coloured skin (the mean of the skin just above and below it) with a dark lash line, and opened
 * again.
 *
 * What it is not: a video of a live person. The non-rigid motion is the one written here, so a
 * motion cue that separates these bursts from rigid ones shows only that it sees motion of this
 * kind and size; the blink is a painted lid, not a closing eyelid.
 */
export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface LiveBurstOptions {
  /** The eye centres in the frame (subject's right eye first), for the blink and the motion scale. */
  readonly eyes: readonly [Point, Point];
  /** Per-frame eye closure 0..1; default none. */
  readonly closure?: readonly number[];
  /** Scales every motion (1 = the default amplitudes above). */
  readonly motionScale?: number;
}

/** Closure for a blink centred on frame `at`: half, full, half. */
export function blinkClosure(count: number, at: number): number[] {
  return Array.from({ length: count }, (_, k) => (k === at ? 1 : Math.abs(k - at) === 1 ? 0.55 : 0));
}

export function liveBurst(frame: RawFrame, count: number, seed: number | string, options: LiveBurstOptions): RawFrame[] {
  const rng = SeededRandom.fromSeed(`live-burst/${String(seed)}`);
  const [right, left] = options.eyes;
  const iod = Math.max(8, Math.hypot(left.x - right.x, left.y - right.y));
  // Face geometry from the eyes: the face is about 2.2 eye distances wide, centred below the eyes.
  const face = { x: (right.x + left.x) / 2, y: (right.y + left.y) / 2 + 0.5 * iod, w: 2.2 * iod };
  const k = options.motionScale ?? 1;
  const bumps = Array.from({ length: 6 }, () => ({
    x: face.x + rng.between(-0.3, 0.3) * face.w,
    y: face.y + rng.between(-0.35, 0.35) * face.w,
    sigma: rng.between(0.1, 0.16) * face.w,
    dx: 0,
    dy: 0,
  }));
  const limit = 0.015 * face.w * k;
  let tx = 0;
  let ty = 0;
  let rot = 0;
  let parallax = 0;
  const out: RawFrame[] = [];
  for (let n = 0; n < count; n++) {
    if (n > 0) {
      tx += 0.5 * k * gaussian(rng);
      ty += 0.5 * k * gaussian(rng);
      rot += (0.15 * k * gaussian(rng) * Math.PI) / 180;
      parallax = clamp(parallax + 0.4 * k * gaussian(rng), -limit, limit);
      for (const b of bumps) {
        b.dx = clamp(b.dx + 0.4 * k * gaussian(rng), -limit, limit);
        b.dy = clamp(b.dy + 0.4 * k * gaussian(rng), -limit, limit);
      }
    }
    const closure = options.closure?.[n] ?? 0;
    const shown = closure > 0 ? closeEyes(frame, options.eyes, iod, closure) : frame;
    const cos = Math.cos(rot);
    const sin = Math.sin(rot);
    out.push(
      remap(shown, (x, y, at) => {
        // Non-rigid part first, in the face's own frame.
        let dx = 0;
        let dy = 0;
        for (const b of bumps) {
          const w = Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.sigma * b.sigma));
          dx += w * b.dx;
          dy += w * b.dy;
        }
        dx += parallax * Math.exp(-((x - face.x) ** 2 + (y - face.y) ** 2) / (2 * (0.3 * face.w) ** 2));
        const sx = x - dx;
        const sy = y - dy;
        // Then the rigid head motion about the face centre (inverse map).
        const rx = sx - face.x - tx;
        const ry = sy - face.y - ty;
        at[0] = cos * rx + sin * ry + face.x;
        at[1] = -sin * rx + cos * ry + face.y;
      }),
    );
  }
  return out;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** The frame with both eyes covered to `closure` (0..1) by lid skin and a lash line. */
export function closeEyes(frame: RawFrame, eyes: readonly [Point, Point], iod: number, closure: number): RawFrame {
  const data = Uint8Array.from(frame.data);
  const halfW = 0.3 * iod;
  const halfH = 0.16 * iod;
  const at = (x: number, y: number, c: number): number => {
    const cx = Math.min(frame.width - 1, Math.max(0, Math.round(x)));
    const cy = Math.min(frame.height - 1, Math.max(0, Math.round(y)));
    return frame.data[(cy * frame.width + cx) * 3 + c] ?? 0;
  };
  for (const eye of eyes) {
    for (let y = Math.floor(eye.y - halfH); y <= Math.ceil(eye.y + halfH); y++) {
      for (let x = Math.floor(eye.x - halfW); x <= Math.ceil(eye.x + halfW); x++) {
        if (x < 0 || y < 0 || x >= frame.width || y >= frame.height) continue;
        const u = (x - eye.x) / halfW;
        const v = (y - eye.y) / halfH;
        // Smooth elliptical cover, full inside, fading at the rim.
        const cover = closure * Math.min(1, Math.max(0, 1.6 * (1 - u * u - v * v)));
        if (cover <= 0) continue;
        const lash = 70 * Math.exp(-(((y - eye.y - 0.02 * iod) / (0.025 * iod)) ** 2)) * Math.max(0, 1 - u * u);
        for (let c = 0; c < 3; c++) {
          const skin = (at(x, eye.y - 1.15 * halfH, c) + at(x, eye.y + 1.15 * halfH, c)) / 2;
          const o = (y * frame.width + x) * 3 + c;
          data[o] = Math.round((1 - cover) * (frame.data[o] ?? 0) + cover * Math.max(0, skin - lash));
        }
      }
    }
  }
  return { data, width: frame.width, height: frame.height };
}
