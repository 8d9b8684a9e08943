import type { RgbImage } from "../face-aligner.js";
import type { FaceBox } from "../face-detector.js";
import { greyGrid, regionAround, type GreyPatch } from "./luminance.js";

/**
 * Screen or photo border: a print's paper edge and a phone's bezel are long, straight,
 * high-contrast edges that frame the face on its sides, parallel to it (or nearly: a tilted print
 * shows them a few degrees off). The cue looks in a region 2.6 face boxes wide around the face,
 * box-averaged onto a 96-cell-wide grid, and for each side (above, below, left, right of the face)
 * finds the straight line, within ±10° of the face's axes, along which the most cells carry a strong
 * edge of one polarity across the face's span. Coverage 1 is an unbroken edge across 1.6 face widths.
 * The measured value is the mean coverage of the two best sides: one straight edge is common
 * behind a live person (a door frame, a shelf), two framing the face much less so.
 */
export interface BorderMeasure {
  /** Mean of the two best sides' coverage, 0..1. */
  readonly value: number;
  readonly sides: { readonly top: number; readonly bottom: number; readonly left: number; readonly right: number };
}

const SEARCH_SCALE = 2.6;
const GRID = 96;
/** Least luminance step per grid cell (normalised Sobel) that counts as an edge. */
export const EDGE_CONTRAST = 10;
const ANGLES = [-10, -7.5, -5, -2.5, 0, 2.5, 5, 7.5, 10].map((deg) => Math.tan((deg * Math.PI) / 180));
/** How far past the face box, as a share of its size, a line must lie to count as framing it. */
const CLEARANCE = 0.08;

export function measureBorder(image: RgbImage, face: Pick<FaceBox, "x" | "y" | "width" | "height">): BorderMeasure {
  const rect = regionAround(face, image, SEARCH_SCALE);
  const none = { value: 0, sides: { top: 0, bottom: 0, left: 0, right: 0 } };
  if (rect.width < 8 || rect.height < 8) return none;
  const gridW = Math.min(GRID, rect.width);
  const gridH = Math.max(8, Math.round((gridW * rect.height) / rect.width));
  const { gx, gy } = sobel(greyGrid(image, rect, gridW, gridH));
  const edges = edgeCells(gx, gy);
  const kx = gridW / rect.width;
  const ky = gridH / rect.height;
  const f = { x0: (face.x - rect.x) * kx, x1: (face.x + face.width - rect.x) * kx, y0: (face.y - rect.y) * ky, y1: (face.y + face.height - rect.y) * ky };
  const fw = f.x1 - f.x0;
  const fh = f.y1 - f.y0;
  // Horizontal lines across the face's span widened by 0.3 face widths each side; rows clear of the face.
  const across = { from: Math.max(1, f.x0 - 0.3 * fw), to: Math.min(gridW - 2, f.x1 + 0.3 * fw) };
  const down = { from: Math.max(1, f.y0 - 0.3 * fh), to: Math.min(gridH - 2, f.y1 + 0.3 * fh) };
  const rowsAbove = { from: 1, to: f.y0 - CLEARANCE * fh };
  const rowsBelow = { from: f.y1 + CLEARANCE * fh, to: gridH - 2 };
  const colsLeft = { from: 1, to: f.x0 - CLEARANCE * fw };
  const colsRight = { from: f.x1 + CLEARANCE * fw, to: gridW - 2 };
  const cx = (f.x0 + f.x1) / 2;
  const cy = (f.y0 + f.y1) / 2;
  const rowStep = { along: 1, across: gridW };
  const colStep = { along: gridW, across: 1 };
  const sides = {
    top: bestLine(edges.horizontal, rowStep, gridH, cx, across, rowsAbove),
    bottom: bestLine(edges.horizontal, rowStep, gridH, cx, across, rowsBelow),
    left: bestLine(edges.vertical, colStep, gridW, cy, down, colsLeft),
    right: bestLine(edges.vertical, colStep, gridW, cy, down, colsRight),
  };
  const ranked = [sides.top, sides.bottom, sides.left, sides.right].sort((a, b) => b - a);
  return { value: ((ranked[0] ?? 0) + (ranked[1] ?? 0)) / 2, sides };
}

/** Normalised Sobel derivatives (luminance step per cell); zero on the grid's outer ring. */
export function sobel(grey: GreyPatch): { gx: Float32Array; gy: Float32Array; width: number; height: number } {
  const { data, width, height } = grey;
  const gx = new Float32Array(width * height);
  const gy = new Float32Array(width * height);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const nw = data[i - width - 1] ?? 0;
      const n = data[i - width] ?? 0;
      const ne = data[i - width + 1] ?? 0;
      const w = data[i - 1] ?? 0;
      const e = data[i + 1] ?? 0;
      const sw = data[i + width - 1] ?? 0;
      const s = data[i + width] ?? 0;
      const se = data[i + width + 1] ?? 0;
      gx[i] = (ne + 2 * e + se - nw - 2 * w - sw) / 8;
      gy[i] = (sw + 2 * s + se - nw - 2 * n - ne) / 8;
    }
  }
  return { gx, gy, width, height };
}

/**
 * Each cell's edge as a line would see it: +1 / −1 for a strong edge of that polarity whose
 * gradient points across the line (horizontal lines: |gy| ≥ EDGE_CONTRAST and |gy| ≥ |gx|), else 0.
 */
function edgeCells(gx: Float32Array, gy: Float32Array): { horizontal: Int8Array; vertical: Int8Array } {
  const horizontal = new Int8Array(gx.length);
  const vertical = new Int8Array(gx.length);
  for (let i = 0; i < gx.length; i++) {
    const ax = Math.abs(gx[i] ?? 0);
    const ay = Math.abs(gy[i] ?? 0);
    if (ay >= EDGE_CONTRAST && ay >= ax) horizontal[i] = (gy[i] ?? 0) > 0 ? 1 : -1;
    if (ax >= EDGE_CONTRAST && ax >= ay) vertical[i] = (gx[i] ?? 0) > 0 ? 1 : -1;
  }
  return { horizontal, vertical };
}

/**
 * The best coverage of a straight line whose offset (its position at `pivot`) lies in `offsets`,
 * over the angles: the share of positions in `span` whose cell carries an edge of the line's
 * majority polarity. `step` says how a position and an offset move in the flat cell array (rows:
 * along = 1, across = width; columns the other way round); `extent` is the grid's size across.
 */
function bestLine(
  cells: Int8Array,
  step: { along: number; across: number },
  extent: number,
  pivot: number,
  span: { from: number; to: number },
  offsets: { from: number; to: number },
): number {
  const p0 = Math.ceil(span.from);
  const p1 = Math.floor(span.to);
  const length = p1 - p0 + 1;
  if (length < 4) return 0;
  let best = 0;
  for (const slope of ANGLES) {
    const shift = Array.from({ length }, (_, k) => Math.round((p0 + k - pivot) * slope));
    for (let r = Math.max(1, Math.ceil(offsets.from)); r <= Math.min(extent - 2, Math.floor(offsets.to)); r++) {
      let sum = 0;
      let count = 0;
      for (let k = 0; k < length; k++) {
        const q = r + (shift[k] ?? 0);
        if (q < 1 || q >= extent - 1) continue;
        const cell = cells[(p0 + k) * step.along + q * step.across] ?? 0;
        sum += cell;
        count += cell === 0 ? 0 : 1;
      }
      // Majority polarity: (count + |sum|) / 2 cells agree.
      best = Math.max(best, (count + Math.abs(sum)) / 2 / length);
    }
  }
  return best;
}
