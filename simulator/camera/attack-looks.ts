import sharp from "sharp";
import { SeededRandom } from "../fleet/seeded-random.js";

/**
 * Presentation-attack looks for the virtual camera and the liveness benchmark: what the camera sees
 * when someone holds up a printed photo or a phone showing a face instead of their own face, and
 * the still bursts such a prop gives when the kiosk asks for a blink. Every look is built from a
 * real face image and is deterministic under its seed (SeededRandom streams).
 *
 * These are models of the artefacts, not photographs of real attacks: each look renders the physical
 * effect a passive cue relies on (a paper edge, a pixel grid sampled by a second grid, a specular
 * patch, a rigid or absent motion) at plausible strength. A cue that detects them is shown to see
 * the effect it was built for, not that it will see every real print or screen.
 */
export interface RawFrame {
  /** RGB, interleaved, row-major. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export const ATTACK_KINDS = ["printed_photo", "screen_replay", "still_frames"] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

/** Decodes any image sharp reads into an RGB frame (grey images are expanded to three channels). */
export async function decodeFrame(image: Buffer): Promise<RawFrame> {
  const { data, info } = await sharp(image).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  const rgb = new Uint8Array(info.width * info.height * 3);
  for (let i = 0; i < info.width * info.height; i++) {
    const v = data[i * info.channels] ?? 0;
    rgb[3 * i] = v;
    rgb[3 * i + 1] = v;
    rgb[3 * i + 2] = v;
  }
  return { data: rgb, width: info.width, height: info.height };
}

/** The `width` x `height` rectangle of `frame` at (x, y), which must lie inside it. */
export function cropFrame(frame: RawFrame, x: number, y: number, width: number, height: number): RawFrame {
  if (x < 0 || y < 0 || width <= 0 || height <= 0 || x + width > frame.width || y + height > frame.height) {
    throw new RangeError(`crop ${width}x${height}+${x}+${y} outside a ${frame.width}x${frame.height} frame`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) data.set(frame.data.subarray(((y + row) * frame.width + x) * 3, ((y + row) * frame.width + x + width) * 3), row * width * 3);
  return { data, width, height };
}

// ---------------------------------------------------------------------------------------------
// Printed photo

export interface PrintedPhotoOptions {
  /** Frame size relative to the source image (the print fills about 1/scene of the frame width). */
  readonly scene?: number;
}

/**
 * A print held up to the camera: the tonal range squeezed (paper reflects 8–85 %, ink never reaches
 * black), a warm paper tint, paper grain and a faint 45° halftone screen, a white margin whose edge
 * stands against the room, and a perspective tilt of 6–14° about a vertical or horizontal axis.
 */
export function printedPhotoLook(source: RawFrame, seed: number | string, options: PrintedPhotoOptions = {}): RawFrame {
  const rng = SeededRandom.fromSeed(`printed-photo/${String(seed)}`);
  const margin = Math.round(0.06 * Math.max(source.width, source.height));
  const paperW = source.width + 2 * margin;
  const paperH = source.height + 2 * margin;
  const grain = rng.fork("grain");
  const paper = new Uint8Array(paperW * paperH * 3);
  const tint = [1.0, 0.97, 0.9];
  const halftonePeriod = rng.between(3.2, 4.2);
  for (let y = 0; y < paperH; y++) {
    for (let x = 0; x < paperW; x++) {
      const sx = x - margin;
      const sy = y - margin;
      const inside = sx >= 0 && sy >= 0 && sx < source.width && sy < source.height;
      // 45° dot screen: cos·cos of the rotated coordinates, ±1 at the dot centres.
      const u = ((x + y) * Math.SQRT1_2 * 2 * Math.PI) / halftonePeriod;
      const v = ((x - y) * Math.SQRT1_2 * 2 * Math.PI) / halftonePeriod;
      const dots = Math.cos(u) * Math.cos(v);
      const noise = gaussian(grain) * 3;
      for (let c = 0; c < 3; c++) {
        const ink = inside ? (source.data[(sy * source.width + sx) * 3 + c] ?? 0) : 255;
        const toned = inside ? 22 + 0.74 * ink * (1 + 0.05 * dots) : 228;
        paper[(y * paperW + x) * 3 + c] = clampByte(toned * (tint[c] ?? 1) + noise);
      }
    }
  }
  const scene = options.scene ?? 1.45;
  const width = Math.round(paperW * scene);
  const height = Math.round(paperH * scene);
  const background = roomBackground(width, height, rng.fork("room"));
  const corners = tiltedQuad(paperW, paperH, width, height, rng.fork("tilt"), rng.between(6, 14));
  return warpOnto(background, paper, paperW, paperH, corners, 1);
}

// ---------------------------------------------------------------------------------------------
// Screen replay

/** How strongly the display's pixel grid modulates what it shows (0: invisible, 0.5: stark). */
const GRID_DEPTH = 0.2;

export interface ScreenReplayOptions {
  readonly scene?: number;
  /** Draw the specular glare patch (default true). */
  readonly glare?: boolean;
}

/**
 * A phone or tablet showing the face: the image resampled onto the display's pixel grid (RGB
 * stripe sub-pixels with dark gaps, finer than the camera's pixels, the display turned up to 3°), which
 * the camera samples again with its own grid, so the luminance carries a periodic pattern and its
 * moiré; a blue cast and raised blacks; a dark bezel; and, by default, a soft-edged specular patch
 * that clips to white near the face.
 */
export function screenReplayLook(source: RawFrame, seed: number | string, options: ScreenReplayOptions = {}): RawFrame {
  const rng = SeededRandom.fromSeed(`screen-replay/${String(seed)}`);
  const scene = options.scene ?? 1.5;
  const width = Math.round(source.width * scene);
  const height = Math.round(source.height * scene);
  const frame = roomBackground(width, height, rng.fork("room"));
  // A phone at arm's length: its pixels are finer than the camera's (0.55–0.85 camera pixels), so
  // the camera's own pixels, integrating over their area, alias the sub-pixel grid into moiré.
  const pitch = rng.between(0.55, 0.85);
  const angle = (rng.between(-3, 3) * Math.PI) / 180;
  const displayW = Math.round(width / 1.45);
  const displayH = Math.round((displayW * source.height) / source.width);
  const bezel = Math.round(0.07 * displayW);
  const x0 = Math.round((width - displayW) / 2 + rng.between(-0.04, 0.04) * width);
  const y0 = Math.round((height - displayH) / 2 + rng.between(-0.04, 0.04) * height);
  const cast = [0.9, 0.98, 1.12];
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = x0 + displayW / 2;
  const cy = y0 + displayH / 2;
  const glare = options.glare ?? true;
  // The glare sits off the face's centre (a cheek, the forehead), so the face stays detectable.
  const glareAngle = rng.between(0, 2 * Math.PI);
  const glareX = cx + Math.cos(glareAngle) * rng.between(0.14, 0.24) * displayW;
  const glareY = cy + Math.sin(glareAngle) * rng.between(0.14, 0.24) * displayH;
  const glareSigma = rng.between(0.03, 0.045) * displayW;
  const pixel = new Float64Array(3);
  const samples = 4;
  // The panel: the source resampled once to the display's own pixels.
  const panelW = Math.ceil(displayW / pitch);
  const panelH = Math.ceil(displayH / pitch);
  const panel = new Uint8Array(panelW * panelH * 3);
  for (let v = 0; v < panelH; v++) {
    for (let u = 0; u < panelW; u++) sampleBilinear(source, ((u + 0.5) * pitch * source.width) / displayW - 0.5, ((v + 0.5) * pitch * source.height) / displayH - 0.5, panel, (v * panelW + u) * 3);
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Display coordinates of this camera pixel (turned by the display's angle about its centre).
      const rx = cos * (x - cx) + sin * (y - cy) + displayW / 2;
      const ry = -sin * (x - cx) + cos * (y - cy) + displayH / 2;
      const o = (y * width + x) * 3;
      if (rx < -bezel || ry < -bezel || rx >= displayW + bezel || ry >= displayH + bezel) continue;
      if (rx < 0 || ry < 0 || rx >= displayW || ry >= displayH) {
        frame.data[o] = 16;
        frame.data[o + 1] = 16;
        frame.data[o + 2] = 19;
        continue;
      }
      // Integrate the camera pixel over a 4 x 4 grid of points on the sub-pixel pattern.
      pixel.fill(0);
      for (let j = 0; j < samples; j++) {
        for (let i = 0; i < samples; i++) {
          const px = (cos * (x + (i + 0.5) / samples - 0.5 - cx) + sin * (y + (j + 0.5) / samples - 0.5 - cy) + displayW / 2) / pitch;
          const py = (-sin * (x + (i + 0.5) / samples - 0.5 - cx) + cos * (y + (j + 0.5) / samples - 0.5 - cy) + displayH / 2) / pitch;
          // What the display pixel shows: the source, resampled to the display's resolution.
          const cell = (Math.min(panelH - 1, Math.max(0, Math.floor(py))) * panelW + Math.min(panelW - 1, Math.max(0, Math.floor(px)))) * 3;
          const fx = px - Math.floor(px);
          const gap = py - Math.floor(py) > 0.8 ? 1 - GRID_DEPTH : 1;
          const lit = fx < 1 / 3 ? 0 : fx < 2 / 3 ? 1 : 2;
          for (let c = 0; c < 3; c++) {
            const stripe = c === lit ? 1 + 2 * GRID_DEPTH : 1 - GRID_DEPTH;
            pixel[c] = (pixel[c] ?? 0) + (panel[cell + c] ?? 0) * stripe * gap;
          }
        }
      }
      const gain = 1 / (samples * samples);
      const specular = glare ? 320 * Math.exp(-((x - glareX) ** 2 + (y - glareY) ** 2) / (2 * glareSigma * glareSigma)) : 0;
      for (let c = 0; c < 3; c++) frame.data[o + c] = clampByte(14 + 0.9 * (pixel[c] ?? 0) * gain * (cast[c] ?? 1) + specular);
    }
  }
  return frame;
}

// ---------------------------------------------------------------------------------------------
// Bursts

export type StillMotion = "identical" | "rigid";

/**
 * What the camera gets from a prop while the kiosk asks for a blink: the same frame again and again
 * (a still image, a fixed stand), or the frame moved rigidly (a hand holding the print: a slow random
 * walk of up to a few pixels, a fraction of a degree of rotation and 1 % of scale). Never a blink.
 */
export function stillBurst(frame: RawFrame, count: number, seed: number | string, motion: StillMotion): RawFrame[] {
  if (motion === "identical") return Array.from({ length: count }, () => ({ ...frame, data: Uint8Array.from(frame.data) }));
  const rng = SeededRandom.fromSeed(`still-burst/${String(seed)}`);
  let tx = 0;
  let ty = 0;
  let rot = 0;
  let scale = 1;
  const out: RawFrame[] = [];
  for (let k = 0; k < count; k++) {
    if (k > 0) {
      tx += rng.between(-1.2, 1.2);
      ty += rng.between(-1.2, 1.2);
      rot += (rng.between(-0.4, 0.4) * Math.PI) / 180;
      scale *= 1 + rng.between(-0.004, 0.004);
    }
    out.push(warpSimilarity(frame, tx, ty, rot, scale));
  }
  return out;
}

/** Camera read noise: Gaussian, `sigma` grey levels, per channel; deterministic under the seed. */
export function addSensorNoise(frame: RawFrame, sigma: number, seed: number | string): RawFrame {
  const rng = SeededRandom.fromSeed(`sensor-noise/${String(seed)}`);
  const data = new Uint8Array(frame.data.length);
  for (let i = 0; i < data.length; i += 2) {
    // Box–Muller gives two independent normals per draw pair; use both.
    const radius = sigma * Math.sqrt(-2 * Math.log(1 - rng.float()));
    const angle = 2 * Math.PI * rng.float();
    data[i] = clampByte((frame.data[i] ?? 0) + radius * Math.cos(angle));
    if (i + 1 < data.length) data[i + 1] = clampByte((frame.data[i + 1] ?? 0) + radius * Math.sin(angle));
  }
  return { data, width: frame.width, height: frame.height };
}

/** The frame moved as one plane: rotation and scale about its centre, then a shift; edges repeat. */
export function warpSimilarity(frame: RawFrame, tx: number, ty: number, rotation: number, scale: number): RawFrame {
  const { width, height } = frame;
  const cx = width / 2;
  const cy = height / 2;
  const c = Math.cos(rotation) / scale;
  const s = Math.sin(rotation) / scale;
  return remap(frame, (x, y, at) => {
    const dx = x - cx - tx;
    const dy = y - cy - ty;
    at[0] = c * dx + s * dy + cx;
    at[1] = -s * dx + c * dy + cy;
  });
}

/**
 * A new frame whose pixel (x, y) is `frame` sampled bilinearly at the point `from` writes into its
 * `at` argument (clamped to the edge). The point is written in place, so no pixel allocates.
 */
export function remap(frame: RawFrame, from: (x: number, y: number, at: Float64Array) => void): RawFrame {
  const { width, height } = frame;
  const data = new Uint8Array(width * height * 3);
  const at = new Float64Array(2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      from(x, y, at);
      sampleBilinear(frame, at[0] ?? 0, at[1] ?? 0, data, (y * width + x) * 3);
    }
  }
  return { data, width, height };
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

function sampleBilinear(frame: RawFrame, x: number, y: number, out: Uint8Array, o: number): void {
  const { data, width, height } = frame;
  const cx = x < 0 ? 0 : x > width - 1 ? width - 1 : x;
  const cy = y < 0 ? 0 : y > height - 1 ? height - 1 : y;
  const x0 = Math.min(width - 2, Math.floor(cx));
  const y0 = Math.min(height - 2, Math.floor(cy));
  const fx = cx - x0;
  const fy = cy - y0;
  const i00 = (y0 * width + x0) * 3;
  const i01 = i00 + width * 3;
  for (let c = 0; c < 3; c++) {
    const top = (data[i00 + c] ?? 0) * (1 - fx) + (data[i00 + 3 + c] ?? 0) * fx;
    const bottom = (data[i01 + c] ?? 0) * (1 - fx) + (data[i01 + 3 + c] ?? 0) * fx;
    out[o + c] = clampByte(top * (1 - fy) + bottom * fy);
  }
}

/** A plain room behind the prop: smooth light falloff and soft blotches, no straight edges. */
export function roomBackground(width: number, height: number, rng: SeededRandom): RawFrame {
  const base = [rng.between(95, 165), 0, 0];
  base[1] = (base[0] ?? 128) * rng.between(0.95, 1.05);
  base[2] = (base[0] ?? 128) * rng.between(0.88, 1.02);
  const gx = rng.between(-40, 40);
  const gy = rng.between(-40, 40);
  const blobs = Array.from({ length: 4 }, () => ({ x: rng.between(0, width), y: rng.between(0, height), r: rng.between(0.15, 0.4) * width, a: rng.between(-25, 25) }));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = (gx * (x - width / 2)) / width + (gy * (y - height / 2)) / height;
      for (const b of blobs) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = clampByte((base[c] ?? 128) + v);
    }
  }
  return { data, width, height };
}

type Quad = readonly [readonly [number, number], readonly [number, number], readonly [number, number], readonly [number, number]];

/**
 * Where the corners of a w x h sheet land in a frame when the sheet is turned `degrees` about a
 * vertical or horizontal axis (chosen by the seed) and seen from the front: the far side shrinks.
 */
function tiltedQuad(w: number, h: number, frameW: number, frameH: number, rng: SeededRandom, degrees: number): Quad {
  const fit = Math.min(frameW / w, frameH / h) / 1.45;
  const sw = w * fit;
  const sh = h * fit;
  const cx = frameW / 2 + rng.between(-0.03, 0.03) * frameW;
  const cy = frameH / 2 + rng.between(-0.03, 0.03) * frameH;
  const shrink = 1 - Math.sin((degrees * Math.PI) / 180) * 0.6;
  const sign = rng.chance(0.5) ? 1 : -1;
  const aboutVertical = rng.chance(0.6);
  // Corners: top-left, top-right, bottom-right, bottom-left.
  const half = (near: boolean, extent: number): number => (extent / 2) * (near ? 1 : shrink);
  if (aboutVertical) {
    const leftNear = sign > 0;
    const lh = half(leftNear, sh);
    const rh = half(!leftNear, sh);
    const sx = (sw / 2) * (1 + shrink) / 2;
    return [
      [cx - sx, cy - lh],
      [cx + sx, cy - rh],
      [cx + sx, cy + rh],
      [cx - sx, cy + lh],
    ];
  }
  const topNear = sign > 0;
  const tw = half(topNear, sw);
  const bw = half(!topNear, sw);
  const sy = (sh / 2) * (1 + shrink) / 2;
  return [
    [cx - tw, cy - sy],
    [cx + tw, cy - sy],
    [cx + bw, cy + sy],
    [cx - bw, cy + sy],
  ];
}

/** Draws the w x h `sheet` (RGB) onto `background` with its corners at `quad` (projective map). */
function warpOnto(background: RawFrame, sheet: Uint8Array, w: number, h: number, quad: Quad, edgeSoftness: number): RawFrame {
  const toSheet = homography(
    quad,
    [
      [0, 0],
      [w, 0],
      [w, h],
      [0, h],
    ],
  );
  const sheetFrame: RawFrame = { data: sheet, width: w, height: h };
  const data = Uint8Array.from(background.data);
  const sample = new Uint8Array(3);
  for (let y = 0; y < background.height; y++) {
    for (let x = 0; x < background.width; x++) {
      const [u, v] = applyHomography(toSheet, x + 0.5, y + 0.5);
      // Coverage near the sheet's edge (antialiased over `edgeSoftness` sheet pixels).
      const inside = Math.min(u, v, w - u, h - v) / edgeSoftness + 0.5;
      if (inside <= 0) continue;
      const alpha = Math.min(1, inside);
      sampleBilinear(sheetFrame, u - 0.5, v - 0.5, sample, 0);
      const o = (y * background.width + x) * 3;
      for (let c = 0; c < 3; c++) data[o + c] = clampByte((1 - alpha) * (data[o + c] ?? 0) + alpha * (sample[c] ?? 0));
    }
  }
  return { data, width: background.width, height: background.height };
}

type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

/** The projective map taking the four `from` points onto the four `to` points (DLT, h33 = 1). */
export function homography(from: Quad, to: Quad): Matrix3 {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i] ?? [0, 0];
    const [u, v] = to[i] ?? [0, 0];
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gauss–Jordan elimination with partial pivoting on the 8 x 9 augmented matrix.
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r]?.[col] ?? 0) > Math.abs(a[pivot]?.[col] ?? 0)) pivot = r;
    const swap = a[col] ?? [];
    a[col] = a[pivot] ?? [];
    a[pivot] = swap;
    const p = a[col]?.[col] ?? 1;
    const row = (a[col] ?? []).map((value) => value / p);
    a[col] = row;
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const factor = a[r]?.[col] ?? 0;
      a[r] = (a[r] ?? []).map((value, k) => value - factor * (row[k] ?? 0));
    }
  }
  const h = a.map((row) => row[8] ?? 0);
  return [h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0, h[5] ?? 0, h[6] ?? 0, h[7] ?? 0, 1];
}

export function applyHomography(m: Matrix3, x: number, y: number): [number, number] {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

export function gaussian(rng: SeededRandom): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  const u = 1 - rng.float();
  const v = rng.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function clampByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
}
