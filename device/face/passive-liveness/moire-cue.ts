import type { RgbImage } from "../face-aligner.js";
import type { FaceBox } from "../face-detector.js";
import { powerSpectrum2d } from "./fft.js";
import { greyCrop, median } from "./luminance.js";

/**
 * Moiré: a screen shows the face through a grid of pixels, and the camera samples that grid at a
 * pitch of its own; the beat between the two is a periodic pattern, a narrow peak in the spatial
 * spectrum that skin and hair do not make (their spectra fall smoothly, roughly as 1/f²). The cue
 * takes a square patch of the face at native resolution (no resampling, which would alias the peak
 * away), windows it (Hann), and measures how far the strongest high-frequency bin stands above the
 * median of its own frequency ring: log10 of that ratio. A value above the threshold fires.
 */
export interface MoireMeasure {
  /** log10(peak power / median power at the peak's radius), over 0.1–0.5 cycles per pixel. */
  readonly value: number;
  /** Where the peak is, cycles per pixel (x, y). */
  readonly peak: { readonly fx: number; readonly fy: number };
  readonly patchSize: number;
}

const MIN_PATCH = 32;
const MAX_PATCH = 128;
const BAND_LOW = 0.1;
const BAND_HIGH = 0.5;

export function moirePatchSize(face: Pick<FaceBox, "width" | "height">): number {
  const side = 0.75 * Math.min(face.width, face.height);
  let n = MIN_PATCH;
  while (n * 2 <= Math.min(MAX_PATCH, side)) n *= 2;
  return n;
}

export function measureMoire(image: RgbImage, face: Pick<FaceBox, "x" | "y" | "width" | "height">): MoireMeasure {
  const n = Math.min(moirePatchSize(face), largestPowerOfTwoAtMost(Math.min(image.width, image.height)));
  const cx = face.x + face.width / 2;
  const cy = face.y + face.height / 2;
  const x = Math.min(image.width - n, Math.max(0, Math.round(cx - n / 2)));
  const y = Math.min(image.height - n, Math.max(0, Math.round(cy - n / 2)));
  const grey = greyCrop(image, { x, y, width: n, height: n });
  let mean = 0;
  for (const v of grey.data) mean += v;
  mean /= grey.data.length;
  const patch = new Float64Array(n * n);
  for (let v = 0; v < n; v++) {
    const wy = 0.5 - 0.5 * Math.cos((2 * Math.PI * (v + 0.5)) / n);
    for (let u = 0; u < n; u++) {
      const wx = 0.5 - 0.5 * Math.cos((2 * Math.PI * (u + 0.5)) / n);
      patch[v * n + u] = ((grey.data[v * n + u] ?? 0) - mean) * wx * wy;
    }
  }
  return peakAboveRing(powerSpectrum2d(patch, n), n);
}

/** The strongest bin of the band against the median of its ring (half plane: the spectrum of a real patch is symmetric). */
export function peakAboveRing(power: Float64Array, n: number): MoireMeasure {
  const rings: number[][] = Array.from({ length: n }, () => []);
  const freq = (k: number): number => (k < n / 2 ? k : k - n) / n;
  for (let v = 0; v <= n / 2; v++) {
    for (let u = 0; u < n; u++) {
      const r = Math.hypot(freq(u), freq(v));
      if (r < BAND_LOW || r > BAND_HIGH) continue;
      rings[Math.round(r * n)]?.push(power[v * n + u] ?? 0);
    }
  }
  const ringMedian = rings.map((ring) => (ring.length > 0 ? median(ring) : 0));
  let best = 0;
  let peak = { fx: 0, fy: 0 };
  for (let v = 0; v <= n / 2; v++) {
    for (let u = 0; u < n; u++) {
      const r = Math.hypot(freq(u), freq(v));
      if (r < BAND_LOW || r > BAND_HIGH) continue;
      const floor = ringMedian[Math.round(r * n)] ?? 0;
      const ratio = (power[v * n + u] ?? 0) / Math.max(floor, 1e-9);
      if (ratio > best) {
        best = ratio;
        peak = { fx: freq(u), fy: freq(v) };
      }
    }
  }
  return { value: best > 0 ? Math.log10(best) : 0, peak, patchSize: n };
}

function largestPowerOfTwoAtMost(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}
