import type { RgbImage } from "../../face-aligner.js";
import type { FaceBox } from "../../face-detector.js";

/**
 * Synthetic scenes for the cue tests: a "face" of smooth random blobs (texture every cue can work
 * on, with a smoothly falling spectrum and no periodic part), drawn from a function of (x, y) so
 * that a warp is exact: no resampling error to hide or fake motion.
 */
export type Scene = (x: number, y: number) => number;

export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function blobScene(seed: number, centre: { x: number; y: number }, radius: number): Scene {
  const random = seeded(seed);
  const blobs = Array.from({ length: 260 }, () => {
    const angle = random() * 2 * Math.PI;
    const distance = Math.sqrt(random()) * radius * 1.3;
    return { x: centre.x + Math.cos(angle) * distance, y: centre.y + Math.sin(angle) * distance, s: 1.5 + random() * 7, a: (random() - 0.5) * 90 };
  });
  return (x, y) => {
    let v = 120;
    for (const b of blobs) {
      const d2 = (x - b.x) ** 2 + (y - b.y) ** 2;
      if (d2 < 16 * b.s * b.s) v += b.a * Math.exp(-d2 / (2 * b.s * b.s));
    }
    return v;
  };
}

/** Grey scene to RGB pixels, with optional sensor noise (roughly Gaussian, `noise` levels). */
export function render(scene: Scene, width: number, height: number, noise = 0, seed = 1): RgbImage {
  const random = seeded(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.min(255, Math.max(0, Math.round(scene(x, y) + noise * (random() + random() + random() - 1.5) * 2)));
      data.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return { data, width, height };
}

export function box(x: number, y: number, size: number): FaceBox {
  return { x, y, width: size, height: size, score: 0.9, keypoints: [] };
}
