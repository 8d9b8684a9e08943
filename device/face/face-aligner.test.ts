import { describe, expect, it } from "vitest";
import { alignFace, chipEyes, chipToImage } from "./face-aligner.js";

describe("face alignment", () => {
  it("places the eyes where dlib's 150 px chip has them", () => {
    const { right, left } = chipEyes(150);
    expect(right.x).toBeCloseTo(47.74, 2);
    expect(left.x).toBeCloseTo(100.29, 2);
    expect(right.y).toBeCloseTo(47.14, 1);
  });

  it("maps the chip's eyes exactly onto the detected eyes, tilted head included", () => {
    const rightEye = { x: 80, y: 120 };
    const leftEye = { x: 140, y: 95 };
    const map = chipToImage(rightEye, leftEye, 150);
    const apply = (p: { x: number; y: number }): { x: number; y: number } => ({ x: map.a * p.x - map.b * p.y + map.tx, y: map.b * p.x + map.a * p.y + map.ty });
    const { right, left } = chipEyes(150);
    expect(apply(right).x).toBeCloseTo(80, 9);
    expect(apply(right).y).toBeCloseTo(120, 9);
    expect(apply(left).x).toBeCloseTo(140, 9);
    expect(apply(left).y).toBeCloseTo(95, 9);
  });

  it("warps a tilted face so its eyes come out level at the chip's eye positions", () => {
    const width = 300;
    const height = 260;
    const data = new Uint8Array(width * height * 3);
    const dot = (cx: number, cy: number, value: number): void => {
      for (let y = cy - 2; y <= cy + 2; y++) for (let x = cx - 2; x <= cx + 2; x++) data.fill(value, (y * width + x) * 3, (y * width + x) * 3 + 3);
    };
    dot(100, 150, 200); // subject's right eye
    dot(170, 110, 250); // left eye, higher: the head is tilted
    const chip = alignFace({ data, width, height }, { x: 100, y: 150 }, { x: 170, y: 110 }, 150);
    const { right, left } = chipEyes(150);
    const at = (x: number, y: number): number => chip[(Math.round(y) * 150 + Math.round(x)) * 3] ?? 0;
    expect(at(right.x, right.y)).toBeGreaterThan(150);
    expect(at(left.x, left.y)).toBeGreaterThan(200);
    expect(at(75, 120)).toBe(0);
  });
});
