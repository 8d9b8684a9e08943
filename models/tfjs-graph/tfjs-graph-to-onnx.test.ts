import ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { GraphNode, GraphWeight, TfjsGraphModel } from "./tfjs-graph-model.js";
import { float16ToFloat32 } from "../tfjs-weights.js";
import { convertTfjsGraph } from "./tfjs-graph-to-onnx.js";

/**
 * The converter's layout rules on small graphs against a plain NHWC reference written here: TF's
 * 'same' padding with the odd pixel at the end, per-channel PReLU, NHWC flatten order before a
 * Reshape, channel padding and concatenation along the NHWC channel axis, and a refusal of ops it
 * does not know.
 */
function seeded(count: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: count }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

const f32 = (shape: number[], values: Float32Array): GraphWeight => ({ shape, dtype: "float32", values });
const i32 = (shape: number[], values: number[]): GraphWeight => ({ shape, dtype: "int32", values: Int32Array.from(values) });
const node = (name: string, op: string, inputs: string[] = [], attr: GraphNode["attr"] = {}): GraphNode => ({ name, op, inputs, attr });

async function run(model: TfjsGraphModel, shape: [1, number, number, number], output: string, x: Float32Array): Promise<ort.Tensor> {
  const onnx = convertTfjsGraph(model, { graphName: "t", producer: "test", input: { node: "x", name: "x", shape }, output: { node: output, name: "y" } });
  const session = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3 });
  const result = (await session.run({ x: new ort.Tensor("float32", x, shape) })).y;
  await session.release();
  if (result === undefined) throw new Error("no output");
  return result;
}

/** NHWC convolution with TF 'same' padding (extra pixel at the end), bias and PReLU, as TF computes it. */
function referenceConv(x: Float32Array, size: number, ci: number, w: Float32Array, co: number, stride: number, bias: Float32Array, slope: Float32Array): Float32Array {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + 3 - size, 0);
  const before = Math.floor(total / 2);
  const y = new Float32Array(out * out * co);
  for (let oy = 0; oy < out; oy++)
    for (let ox = 0; ox < out; ox++)
      for (let k = 0; k < co; k++) {
        let sum = bias[k] ?? 0;
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = oy * stride + ky - before;
            const ix = ox * stride + kx - before;
            if (iy < 0 || ix < 0 || iy >= size || ix >= size) continue;
            for (let c = 0; c < ci; c++) sum += (x[(iy * size + ix) * ci + c] ?? 0) * (w[((ky * 3 + kx) * ci + c) * co + k] ?? 0);
          }
        y[(oy * out + ox) * co + k] = sum >= 0 ? sum : sum * (slope[k] ?? 0);
      }
  return y;
}

describe("TF.js graph to ONNX", () => {
  it("a strided 'same' convolution with bias and PReLU, then a Reshape, matches TF's NHWC arithmetic", async () => {
    const [size, ci, co] = [6, 2, 3];
    const x = seeded(size * size * ci, 1);
    const w = seeded(9 * ci * co, 2);
    const bias = seeded(co, 3);
    const slope = Float32Array.from([0.1, 0.5, 2]);
    const model: TfjsGraphModel = {
      nodes: [
        node("x", "Placeholder"),
        node("conv", "_FusedConv2D", ["x", "w", "b", "alpha"], { strides: [1, 2, 2, 1], padding: "SAME", fused_ops: ["BiasAdd", "Prelu"] }),
        node("flat", "Reshape", ["conv", "shape"]),
        node("out", "Identity", ["flat"]),
      ],
      weights: new Map([
        ["w", f32([3, 3, ci, co], w)],
        ["b", f32([co], bias)],
        ["alpha", f32([1, 1, co], slope)],
        ["shape", i32([2], [1, -1])],
      ]),
    };
    const y = await run(model, [1, size, size, ci], "out", x);
    expect(y.dims).toEqual([1, 27]);
    const expected = referenceConv(x, size, ci, w, co, 2, bias, slope);
    const actual = y.data as Float32Array;
    expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, 5));
  });

  it("pads channels and concatenates along the NHWC channel axis, output NHWC", async () => {
    const [size, ci] = [4, 2];
    const x = seeded(size * size * ci, 4);
    const dw = seeded(9 * ci, 5);
    const model: TfjsGraphModel = {
      nodes: [
        node("x", "Placeholder"),
        node("padded", "Pad", ["x", "paddings"]),
        node("depthwise", "DepthwiseConv2dNative", ["x", "dw"], { strides: [1, 1, 1, 1], padding: "VALID" }),
        node("pooled", "MaxPool", ["padded"], { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "VALID" }),
        node("joined", "ConcatV2", ["pooled", "depthwise", "axis"]),
      ],
      weights: new Map([
        ["paddings", i32([4, 2], [0, 0, 0, 0, 0, 0, 0, 1])],
        ["dw", f32([3, 3, ci, 1], dw)],
        ["axis", i32([], [3])],
      ]),
    };
    const y = await run(model, [1, size, size, ci], "joined", x);
    // pooled: 2x2x3 (x's 2 channels + a zero channel); depthwise VALID: 2x2x2; joined: 2x2x5.
    expect(y.dims).toEqual([1, 2, 2, 5]);
    const actual = y.data as Float32Array;
    for (let oy = 0; oy < 2; oy++)
      for (let ox = 0; ox < 2; ox++) {
        const at = (c: number): number => actual[(oy * 2 + ox) * 5 + c] ?? Number.NaN;
        for (let c = 0; c < ci; c++) {
          const window = [0, 1].flatMap((dy) => [0, 1].map((dx) => x[((2 * oy + dy) * size + 2 * ox + dx) * ci + c] ?? 0));
          expect(at(c)).toBeCloseTo(Math.max(...window), 6);
          let sum = 0;
          for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) sum += (x[((oy + ky) * size + ox + kx) * ci + c] ?? 0) * (dw[(ky * 3 + kx) * ci + c] ?? 0);
          expect(at(3 + c)).toBeCloseTo(sum, 5);
        }
        // The padded channel pools zeros: max(0, 0, 0, 0) = 0.
        expect(at(2)).toBe(0);
      }
  });

  it("refuses an op it does not convert, naming it", () => {
    const model: TfjsGraphModel = { nodes: [node("x", "Placeholder"), node("soft", "Softmax", ["x"])], weights: new Map() };
    expect(() => convertTfjsGraph(model, { graphName: "t", producer: "test", input: { node: "x", name: "x", shape: [1, 2, 2, 1] }, output: { node: "soft", name: "y" } })).toThrow(
      /Softmax.*not supported/,
    );
  });

  it("widens float16 weights exactly", () => {
    expect(float16ToFloat32(0x3c00)).toBe(1);
    expect(float16ToFloat32(0xc000)).toBe(-2);
    expect(float16ToFloat32(0x3555)).toBeCloseTo(0.33325195, 8);
    expect(float16ToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16ToFloat32(0x7c00)).toBe(Infinity);
  });
});
