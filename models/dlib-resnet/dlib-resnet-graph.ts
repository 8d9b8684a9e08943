import { OnnxGraph } from "../onnx-graph.js";
import { hwioToOihw } from "../tfjs-layout.js";
import type { NamedTensor } from "./face-api-weights.js";

/**
 * dlib's ResNet face recogniser (29 convolutions, 128-d descriptor) rebuilt as an ONNX graph from
 * face-api's layer code and weights (face-api src/faceRecognitionNet):
 * - conv layer = conv2d + bias, then a per-channel scale `x * w + b`, optional ReLU. The scale is
 *   folded into the convolution: W' = W * w (per output channel), b' = b * w + b_scale.
 * - residual: conv3x3 same + ReLU → conv3x3 same → + input → ReLU.
 * - down-sampling residual: conv3x3 stride 2 valid + ReLU → conv3x3 same; shortcut average-pool 2x2
 *   stride 2 valid with the extra channels zero-filled; where spatial sizes differ the main path
 *   gets one zero row (bottom) and column (right) before the add; then ReLU.
 * - input 150x150 RGB in 0..255, NHWC; normalised in the graph: (x - [122.782, 117.001, 104.298]) / 255.
 */
export const DLIB_MEAN_RGB = [122.782, 117.001, 104.298] as const;

type Weights = ReadonlyMap<string, NamedTensor>;

function tensor(weights: Weights, name: string): NamedTensor {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`weights: ${name} missing`);
  return t;
}

interface Shape {
  channels: number;
  size: number;
}

export function buildDlibResnet(weights: Weights): Buffer {
  const g = new OnnxGraph("dlib_resnet_face_recognition");

  const convLayer = (x: string, prefix: string, stride: 1 | 2, relu: boolean, same: boolean): string => {
    const filters = tensor(weights, `${prefix}/conv/filters`);
    const bias = tensor(weights, `${prefix}/conv/bias`).values;
    const scale = tensor(weights, `${prefix}/scale/weights`).values;
    const shift = tensor(weights, `${prefix}/scale/biases`).values;
    const folded = hwioToOihw(filters, scale);
    const foldedBias = bias.map((b, k) => b * (scale[k] ?? 0) + (shift[k] ?? 0));
    const kernel = folded.dims[2] ?? 0;
    const pad = same ? Math.floor(kernel / 2) : 0;
    const w = g.constant(`${prefix}/W`, folded.dims, folded.values);
    const b = g.constant(`${prefix}/B`, [folded.dims[0] ?? 0], foldedBias);
    const out = g.node("Conv", [x, w, b], { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [pad, pad, pad, pad] });
    return relu ? g.node("Relu", [out]) : out;
  };

  const residual = (x: string, prefix: string): string => {
    const a = convLayer(x, `${prefix}/conv1`, 1, true, true);
    const b = convLayer(a, `${prefix}/conv2`, 1, false, true);
    return g.node("Relu", [g.node("Add", [b, x])]);
  };

  const residualDown = (x: string, prefix: string, shape: Shape, outChannels: number): { out: string; shape: Shape } => {
    let main = convLayer(x, `${prefix}/conv1`, 2, true, false);
    main = convLayer(main, `${prefix}/conv2`, 1, false, true);
    const convSize = Math.floor((shape.size - 3) / 2) + 1;
    const poolSize = Math.floor(shape.size / 2);
    if (convSize !== poolSize) main = g.node("Pad", [main, g.int64Constant(g.fresh("pads"), [0, 0, 0, 0, 0, 0, poolSize - convSize, poolSize - convSize])]);
    let shortcut = g.node("AveragePool", [x], { kernel_shape: [2, 2], strides: [2, 2] });
    if (outChannels !== shape.channels) {
      shortcut = g.node("Pad", [shortcut, g.int64Constant(g.fresh("pads"), [0, 0, 0, 0, 0, outChannels - shape.channels, 0, 0])]);
    }
    return { out: g.node("Relu", [g.node("Add", [shortcut, main])]), shape: { channels: outChannels, size: poolSize } };
  };

  const nchw = g.node("Transpose", ["image"], { perm: [0, 3, 1, 2] });
  const mean = g.constant("mean_rgb", [1, 3, 1, 1], Float32Array.from(DLIB_MEAN_RGB));
  const scale = g.constant("inv_255", [1], Float32Array.from([1 / 255]));
  let x = g.node("Mul", [g.node("Sub", [nchw, mean]), scale]);
  x = convLayer(x, "conv32_down", 2, true, false); // 150 → 72
  x = g.node("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2] }); // 72 → 35
  let shape: Shape = { channels: 32, size: 35 };
  for (const block of ["conv32_1", "conv32_2", "conv32_3"]) x = residual(x, block);
  ({ out: x, shape } = residualDown(x, "conv64_down", shape, 64));
  for (const block of ["conv64_1", "conv64_2", "conv64_3"]) x = residual(x, block);
  ({ out: x, shape } = residualDown(x, "conv128_down", shape, 128));
  for (const block of ["conv128_1", "conv128_2"]) x = residual(x, block);
  ({ out: x, shape } = residualDown(x, "conv256_down", shape, 256));
  for (const block of ["conv256_1", "conv256_2"]) x = residual(x, block);
  ({ out: x, shape } = residualDown(x, "conv256_down_out", shape, 256));
  const pooled = g.node("Flatten", [g.node("GlobalAveragePool", [x])], { axis: 1 });
  const fc = tensor(weights, "fc");
  g.node("MatMul", [pooled, g.constant("fc", [...fc.shape], fc.values)], {}, "descriptor");
  // The batch is symbolic: a box embeds a chip and its mirror image in one run (FaceEmbedder).
  return g.encode({ name: "image", dims: ["batch", 150, 150, 3] }, { name: "descriptor", dims: ["batch", 128] }, "carewitness models/dlib-resnet");
}
