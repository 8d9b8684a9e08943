import type { NamedTensor } from "./dlib-resnet/face-api-weights.js";

/**
 * TF.js filters are HWIO (height, width, in, out); ONNX Conv wants OIHW. `scale`, if given,
 * multiplies each output channel (folding a following per-channel scale layer into the filters).
 */
export function hwioToOihw(filters: NamedTensor, scale?: Float32Array): { dims: number[]; values: Float32Array } {
  const [h = 0, w = 0, i = 0, o = 0] = filters.shape;
  const out = new Float32Array(o * i * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < i; c++)
        for (let k = 0; k < o; k++) {
          out[((k * i + c) * h + y) * w + x] = (filters.values[((y * w + x) * i + c) * o + k] ?? 0) * (scale === undefined ? 1 : (scale[k] ?? 0));
        }
  return { dims: [o, i, h, w], values: out };
}

/** A TF.js depthwise filter [h, w, C, 1] as an ONNX grouped-convolution weight [C, 1, h, w]. */
export function depthwiseToOnnx(filters: NamedTensor): { dims: number[]; values: Float32Array } {
  const [h = 0, w = 0, c = 0] = filters.shape;
  const out = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = filters.values[(y * w + x) * c + k] ?? 0;
  return { dims: [c, 1, h, w], values: out };
}

/**
 * TF's 'same' padding for one spatial axis: the output is ceil(size / stride) and the padding the
 * kernel needs is split with the extra pixel at the end (bottom / right), unlike a symmetric pad.
 */
export function tfSamePadding(size: number, kernel: number, stride: number): { begin: number; end: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return { begin: Math.floor(total / 2), end: total - Math.floor(total / 2) };
}
