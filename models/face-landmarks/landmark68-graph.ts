import type { NamedTensor } from "../dlib-resnet/face-api-weights.js";
import { DLIB_MEAN_RGB } from "../dlib-resnet/dlib-resnet-graph.js";
import { OnnxGraph } from "../onnx-graph.js";
import { depthwiseToOnnx, hwioToOihw, tfSamePadding } from "../tfjs-layout.js";

/**
 * face-api's 68-point landmark net (FaceLandmark68Net) as an ONNX graph, for eye openness (blink)
 * and head pose in the liveness challenge. From face-api src/faceFeatureExtractor and
 * src/faceLandmarkNet:
 * - input 112x112 RGB 0..255, NHWC; (x - mean RGB) / 255 in the graph;
 * - four dense blocks: conv0 (a plain 3x3 conv in the first block, a depthwise-separable one after)
 *   with stride 2, then three depthwise-separable 3x3 convs, each block adding up its outputs with
 *   ReLUs in between (denseBlock4); TF 'same' padding, which pads the extra pixel at the end;
 * - average-pool 7x7 stride 2 valid → 256 features → fully connected → 136 values: the 68 points'
 *   (x, y) as fractions of the input side.
 */
type Weights = ReadonlyMap<string, NamedTensor>;

function tensor(weights: Weights, name: string): NamedTensor {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`weights: ${name} missing`);
  return t;
}

export function buildLandmark68(weights: Weights): Buffer {
  const g = new OnnxGraph("face_landmark_68");

  const pads = (size: number, stride: number): number[] => {
    const p = tfSamePadding(size, 3, stride);
    return [p.begin, p.begin, p.end, p.end];
  };

  const plainConv = (x: string, prefix: string, size: number, stride: number): string => {
    const w = hwioToOihw(tensor(weights, `${prefix}/filters`));
    return g.node("Conv", [x, g.constant(`${prefix}/W`, w.dims, w.values), g.constant(`${prefix}/B`, [w.dims[0] ?? 0], tensor(weights, `${prefix}/bias`).values)], {
      kernel_shape: [3, 3],
      strides: [stride, stride],
      pads: pads(size, stride),
    });
  };

  const separableConv = (x: string, prefix: string, size: number, stride: number): string => {
    const dw = depthwiseToOnnx(tensor(weights, `${prefix}/depthwise_filter`));
    const channels = dw.dims[0] ?? 0;
    const depthwise = g.node("Conv", [x, g.constant(`${prefix}/DW`, dw.dims, dw.values)], {
      kernel_shape: [3, 3],
      strides: [stride, stride],
      pads: pads(size, stride),
      group: channels,
    });
    const pw = hwioToOihw(tensor(weights, `${prefix}/pointwise_filter`));
    return g.node("Conv", [depthwise, g.constant(`${prefix}/PW`, pw.dims, pw.values), g.constant(`${prefix}/B`, [pw.dims[0] ?? 0], tensor(weights, `${prefix}/bias`).values)], {
      kernel_shape: [1, 1],
    });
  };

  const denseBlock = (x: string, prefix: string, size: number, first: boolean): string => {
    const out1 = g.node("Relu", [first ? plainConv(x, `${prefix}/conv0`, size, 2) : separableConv(x, `${prefix}/conv0`, size, 2)]);
    const half = Math.ceil(size / 2);
    const out2 = separableConv(out1, `${prefix}/conv1`, half, 1);
    const in3 = g.node("Relu", [g.node("Add", [out1, out2])]);
    const out3 = separableConv(in3, `${prefix}/conv2`, half, 1);
    const sum23 = g.node("Add", [out2, out3]);
    const in4 = g.node("Relu", [g.node("Add", [out1, sum23])]);
    const out4 = separableConv(in4, `${prefix}/conv3`, half, 1);
    return g.node("Relu", [g.node("Add", [out1, g.node("Add", [out2, g.node("Add", [out3, out4])])])]);
  };

  const nchw = g.node("Transpose", ["image"], { perm: [0, 3, 1, 2] });
  const mean = g.constant("mean_rgb", [1, 3, 1, 1], Float32Array.from(DLIB_MEAN_RGB));
  let x = g.node("Mul", [g.node("Sub", [nchw, mean]), g.constant("inv_255", [1], Float32Array.from([1 / 255]))]);
  x = denseBlock(x, "dense0", 112, true);
  x = denseBlock(x, "dense1", 56, false);
  x = denseBlock(x, "dense2", 28, false);
  x = denseBlock(x, "dense3", 14, false);
  x = g.node("AveragePool", [x], { kernel_shape: [7, 7], strides: [2, 2] });
  const features = g.node("Flatten", [x], { axis: 1 });
  const fc = tensor(weights, "fc/weights");
  const product = g.node("MatMul", [features, g.constant("fc/W", [...fc.shape], fc.values)]);
  g.node("Add", [product, g.constant("fc/B", [136], tensor(weights, "fc/bias").values)], {}, "landmarks");
  return g.encode({ name: "image", dims: [1, 112, 112, 3] }, { name: "landmarks", dims: [1, 136] }, "carewitness models/face-landmarks");
}
