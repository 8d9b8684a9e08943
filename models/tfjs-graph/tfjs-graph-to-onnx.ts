import { OnnxGraph } from "../onnx-graph.js";
import { tfSamePadding } from "../tfjs-layout.js";
import type { GraphAttr, GraphNode, GraphWeight, TfjsGraphModel } from "./tfjs-graph-model.js";

/**
 * Converts a TF.js graph model (tfjs-graph-model.ts) to ONNX (opset 13), op by op, for the ops
 * MediaPipe's mobile face models use: _FusedConv2D (BiasAdd, then Relu, Relu6 or Prelu),
 * DepthwiseConv2dNative (and its fused form), AddV2, Prelu, Relu, Sigmoid, MaxPool, Pad, ConcatV2,
 * Reshape, Identity. An op outside that list is an error, never a silent guess.
 *
 * Layout: TF.js runs NHWC, ONNX convolutions want NCHW. The input is transposed once, 4-D values
 * stay NCHW inside the graph (filters HWIO → OIHW, per-channel constants to [C,1,1], Pad and Concat
 * axes remapped), and a value leaves NCHW only where its element order matters: before a Reshape
 * (TF flattens in NHWC order) and at the output, which is therefore NHWC like the source model's.
 * TF's 'same' padding puts the odd pixel at the end, so pads are written out explicitly.
 *
 * Only the nodes the chosen output depends on are converted. Initializers are named after the TF
 * constants and nodes numbered in a fixed walk, so the same model always encodes to the same bytes.
 */
export interface GraphConversion {
  /** ONNX graph name and producer string. */
  readonly graphName: string;
  readonly producer: string;
  /** The Placeholder node and its NHWC shape (batch 1); the ONNX input is named `name`. */
  readonly input: { readonly node: string; readonly name: string; readonly shape: readonly [1, number, number, number] };
  /** The node whose value is the model's output, and the ONNX output's name. */
  readonly output: { readonly node: string; readonly name: string };
}

/** A converted value: its ONNX name, its shape as TF sees it (NHWC for 4-D), and whether ONNX holds it as NCHW. */
interface Value {
  readonly name: string;
  readonly shape: readonly number[];
  readonly nchw: boolean;
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** Where a TF (NHWC) axis sits in an NCHW tensor. */
const NCHW_AXIS = [0, 2, 3, 1];

export function convertTfjsGraph(model: TfjsGraphModel, conversion: GraphConversion): Buffer {
  return new Converter(model, conversion).run();
}

class Converter {
  private readonly g: OnnxGraph;
  private readonly byName: Map<string, GraphNode>;
  private readonly values = new Map<string, Value>();
  private readonly initializers = new Map<string, string>();

  constructor(
    private readonly model: TfjsGraphModel,
    private readonly conversion: GraphConversion,
  ) {
    this.g = new OnnxGraph(conversion.graphName);
    this.byName = new Map(model.nodes.map((n) => [n.name, n]));
  }

  run(): Buffer {
    const result = this.value(this.conversion.output.node);
    const { name } = this.conversion.output;
    if (result.nchw) this.g.node("Transpose", [result.name], { perm: NCHW_TO_NHWC }, name);
    else this.g.node("Identity", [result.name], {}, name);
    return this.g.encode({ name: this.conversion.input.name, dims: this.conversion.input.shape }, { name, dims: result.shape }, this.conversion.producer);
  }

  /** The converted value of node `name`, converting what it depends on first (depth-first, memoised). */
  private value(name: string): Value {
    const known = this.values.get(name);
    if (known !== undefined) return known;
    const node = this.byName.get(name);
    if (node === undefined) throw new Error(`graph: node ${name} missing`);
    const converted = this.convert(node);
    this.values.set(name, converted);
    return converted;
  }

  private convert(node: GraphNode): Value {
    switch (node.op) {
      case "Placeholder":
        return this.placeholder(node);
      case "Identity":
        return this.value(input(node, 0));
      case "_FusedConv2D":
      case "_FusedDepthwiseConv2dNative":
      case "DepthwiseConv2dNative":
      case "Conv2D":
        return this.convolution(node);
      case "AddV2":
      case "Add":
        return this.add(node);
      case "Prelu":
        return this.prelu(this.value(input(node, 0)), input(node, 1));
      case "Relu":
      case "Sigmoid":
      case "Tanh": {
        const x = this.value(input(node, 0));
        return { ...x, name: this.g.node(node.op, [x.name]) };
      }
      case "MaxPool":
        return this.maxPool(node);
      case "Pad":
        return this.pad(node);
      case "ConcatV2":
        return this.concat(node);
      case "Reshape":
        return this.reshape(node);
      default:
        throw new Error(`graph: op ${node.op} (${node.name}) is not supported by this converter`);
    }
  }

  private placeholder(node: GraphNode): Value {
    if (node.name !== this.conversion.input.node) throw new Error(`graph: placeholder ${node.name} is not the declared input`);
    return { name: this.g.node("Transpose", [this.conversion.input.name], { perm: NHWC_TO_NCHW }), shape: this.conversion.input.shape, nchw: true };
  }

  private convolution(node: GraphNode): Value {
    const x = this.nchwValue(input(node, 0), node);
    const filter = this.floatWeight(input(node, 1));
    const depthwise = node.op.includes("Depthwise");
    const [kh = 0, kw = 0, ci = 0, co = 0] = filter.shape;
    const [, height = 0, width = 0, channels = 0] = x.shape;
    if (ci !== channels) throw new Error(`${node.name}: filter expects ${ci} input channels, value has ${channels}`);
    const [, sh = 1, sw = 1] = ints(node, "strides", [1, 1, 1, 1]);
    const [, dh = 1, dw = 1] = ints(node, "dilations", [1, 1, 1, 1]);
    const padding = text(node, "padding", "VALID");
    const rows = spatialPadding(padding, height, kh, sh, dh);
    const cols = spatialPadding(padding, width, kw, sw, dw);
    const outChannels = depthwise ? ci * co : co;
    const weightName = this.initializer(`${input(node, 1)}/${depthwise ? "depthwise_oihw" : "oihw"}`, () =>
      depthwise ? depthwiseFilter(filter) : { dims: [co, ci, kh, kw], values: hwioToOihw(filter.values, kh, kw, ci, co) },
    );
    const fused = node.op.startsWith("_Fused") ? strings(node, "fused_ops") : [];
    if (fused.length > 0 && fused[0] !== "BiasAdd") throw new Error(`${node.name}: fused ops ${fused.join(",")} not supported (only BiasAdd first)`);
    const inputs = [x.name, weightName];
    if (fused[0] === "BiasAdd") inputs.push(this.initializer(`${input(node, 2)}/bias`, () => plain(this.floatWeight(input(node, 2)))));
    let y = this.g.node("Conv", inputs, {
      kernel_shape: [kh, kw],
      strides: [sh, sw],
      dilations: [dh, dw],
      pads: [rows.begin, cols.begin, rows.end, cols.end],
      ...(depthwise ? { group: ci } : {}),
    });
    const shape = [1, rows.out, cols.out, outChannels];
    const activation = fused[1];
    if (fused.length > 2) throw new Error(`${node.name}: fused ops ${fused.join(",")} not supported`);
    if (activation === "Relu") y = this.g.node("Relu", [y]);
    else if (activation === "Relu6") y = this.g.node("Clip", [y, this.scalar("zero", 0), this.scalar("six", 6)]);
    else if (activation === "Prelu") return this.prelu({ name: y, shape, nchw: true }, input(node, 3));
    else if (activation !== undefined) throw new Error(`${node.name}: fused activation ${activation} not supported`);
    return { name: y, shape, nchw: true };
  }

  private add(node: GraphNode): Value {
    const a = this.value(input(node, 0));
    const b = this.value(input(node, 1));
    if (a.nchw !== b.nchw || a.shape.join() !== b.shape.join()) throw new Error(`${node.name}: adds ${a.shape.join("x")} and ${b.shape.join("x")}; only equal shapes are supported`);
    return { ...a, name: this.g.node("Add", [a.name, b.name]) };
  }

  /** PReLU: x for x ≥ 0, slope · x below; TF's per-channel slope [1,1,C] becomes [C,1,1] against NCHW. */
  private prelu(x: Value, slopeName: string): Value {
    const slope = this.floatWeight(slopeName);
    const channels = x.shape[x.shape.length - 1] ?? 0;
    if (slope.values.length !== channels) throw new Error(`${slopeName}: ${slope.values.length} slopes for ${channels} channels`);
    const dims = x.nchw ? [channels, 1, 1] : [channels];
    const name = this.initializer(`${slopeName}/slope`, () => ({ dims, values: slope.values }));
    return { ...x, name: this.g.node("PRelu", [x.name, name]) };
  }

  private maxPool(node: GraphNode): Value {
    const x = this.nchwValue(input(node, 0), node);
    const [, kh = 1, kw = 1] = ints(node, "ksize", [1, 1, 1, 1]);
    const [, sh = 1, sw = 1] = ints(node, "strides", [1, 1, 1, 1]);
    const padding = text(node, "padding", "VALID");
    const [, height = 0, width = 0, channels = 0] = x.shape;
    const rows = spatialPadding(padding, height, kh, sh, 1);
    const cols = spatialPadding(padding, width, kw, sw, 1);
    // ONNX MaxPool's pads never win the max, as TF's 'same' pooling ignores the outside.
    const y = this.g.node("MaxPool", [x.name], { kernel_shape: [kh, kw], strides: [sh, sw], pads: [rows.begin, cols.begin, rows.end, cols.end] });
    return { name: y, shape: [1, rows.out, cols.out, channels], nchw: true };
  }

  private pad(node: GraphNode): Value {
    const x = this.value(input(node, 0));
    const paddings = this.intWeight(input(node, 1));
    const rank = x.shape.length;
    if (paddings.length !== 2 * rank) throw new Error(`${node.name}: paddings for rank ${paddings.length / 2}, value of rank ${rank}`);
    const order = x.nchw ? NHWC_TO_NCHW : [...Array(rank).keys()];
    const begins = order.map((axis) => paddings[2 * axis] ?? 0);
    const ends = order.map((axis) => paddings[2 * axis + 1] ?? 0);
    const pads = this.g.int64Constant(`${node.name}/pads`, [...begins, ...ends]);
    const shape = x.shape.map((size, axis) => size + (paddings[2 * axis] ?? 0) + (paddings[2 * axis + 1] ?? 0));
    return { name: this.g.node("Pad", [x.name, pads], { mode: "constant" }), shape, nchw: x.nchw };
  }

  private concat(node: GraphNode): Value {
    const parts = node.inputs.slice(0, -1).map((name) => this.value(name));
    const first = parts[0];
    if (first === undefined) throw new Error(`${node.name}: nothing to concatenate`);
    if (parts.some((p) => p.nchw !== first.nchw)) throw new Error(`${node.name}: mixed layouts`);
    const rank = first.shape.length;
    const rawAxis = this.intWeight(input(node, node.inputs.length - 1))[0] ?? 0;
    const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    const shape = first.shape.map((size, i) => (i === axis ? parts.reduce((sum, p) => sum + (p.shape[i] ?? 0), 0) : size));
    const onnxAxis = first.nchw ? (NCHW_AXIS[axis] ?? axis) : axis;
    return { name: this.g.node("Concat", parts.map((p) => p.name), { axis: onnxAxis }), shape, nchw: first.nchw };
  }

  private reshape(node: GraphNode): Value {
    const x = this.value(input(node, 0));
    // TF flattens in NHWC order: back to NHWC before the reshape.
    const source = x.nchw ? this.g.node("Transpose", [x.name], { perm: NCHW_TO_NHWC }) : x.name;
    const target = [...this.intWeight(input(node, 1))];
    const count = x.shape.reduce((a, b) => a * b, 1);
    const known = target.reduce((a, b) => (b === -1 ? a : a * b), 1);
    const shape = target.map((size) => (size === -1 ? count / known : size));
    const shapeName = this.g.int64Constant(`${node.name}/shape`, target);
    return { name: this.g.node("Reshape", [source, shapeName]), shape, nchw: false };
  }

  private nchwValue(name: string, node: GraphNode): Value {
    const x = this.value(name);
    if (!x.nchw || x.shape.length !== 4) throw new Error(`${node.name}: expects a 4-D image value`);
    return x;
  }

  private floatWeight(name: string): GraphWeight & { dtype: "float32" } {
    const w = this.model.weights.get(name);
    if (w?.dtype !== "float32") throw new Error(`graph: float constant ${name} missing`);
    return w;
  }

  private intWeight(name: string): Int32Array {
    const w = this.model.weights.get(name);
    if (w?.dtype !== "int32") throw new Error(`graph: int32 constant ${name} missing`);
    return w.values;
  }

  /** One initializer per (constant, form), however many nodes use it. */
  private initializer(key: string, make: () => { dims: readonly number[]; values: Float32Array }): string {
    const known = this.initializers.get(key);
    if (known !== undefined) return known;
    const { dims, values } = make();
    const name = this.g.constant(key, dims, values);
    this.initializers.set(key, name);
    return name;
  }

  private scalar(name: string, value: number): string {
    return this.initializer(`scalar/${name}`, () => ({ dims: [], values: Float32Array.of(value) }));
  }
}

function input(node: GraphNode, index: number): string {
  const name = node.inputs[index];
  if (name === undefined) throw new Error(`${node.name}: input ${index} missing`);
  return name;
}

function ints(node: GraphNode, key: string, fallback: readonly number[]): readonly number[] {
  const value = node.attr[key];
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "number")) throw new Error(`${node.name}: attribute ${key} is not a list of ints`);
  return value as readonly number[];
}

function strings(node: GraphNode, key: string): readonly string[] {
  const value: GraphAttr | undefined = node.attr[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw new Error(`${node.name}: attribute ${key} is not a list of strings`);
  return value as readonly string[];
}

function text(node: GraphNode, key: string, fallback: string): string {
  const value = node.attr[key];
  if (value === undefined) return fallback;
  if (typeof value !== "string") throw new Error(`${node.name}: attribute ${key} is not a string`);
  return value;
}

/** TF's output size and padding for one spatial axis ('SAME': extra pixel at the end; 'VALID': none). */
function spatialPadding(padding: string, size: number, kernel: number, stride: number, dilation: number): { begin: number; end: number; out: number } {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === "SAME") return { ...tfSamePadding(size, effective, stride), out: Math.ceil(size / stride) };
  if (padding === "VALID") return { begin: 0, end: 0, out: Math.floor((size - effective) / stride) + 1 };
  throw new Error(`padding ${padding} not supported`);
}

function hwioToOihw(values: Float32Array, kh: number, kw: number, ci: number, co: number): Float32Array {
  const out = new Float32Array(co * ci * kh * kw);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < ci; c++) for (let k = 0; k < co; k++) out[((k * ci + c) * kh + y) * kw + x] = values[((y * kw + x) * ci + c) * co + k] ?? 0;
  return out;
}

/** TF depthwise filter [h, w, C, M] → ONNX grouped weight [C·M, 1, h, w]; output channel c·M + m in both. */
function depthwiseFilter(filter: GraphWeight & { dtype: "float32" }): { dims: number[]; values: Float32Array } {
  const [kh = 0, kw = 0, c = 0, m = 0] = filter.shape;
  const out = new Float32Array(c * m * kh * kw);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let ch = 0; ch < c; ch++) for (let k = 0; k < m; k++) out[((ch * m + k) * kh + y) * kw + x] = filter.values[((y * kw + x) * c + ch) * m + k] ?? 0;
  return { dims: [c * m, 1, kh, kw], values: out };
}

function plain(weight: GraphWeight & { dtype: "float32" }): { dims: number[]; values: Float32Array } {
  return { dims: [weight.values.length], values: weight.values };
}
