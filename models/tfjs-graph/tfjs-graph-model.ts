import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

/**
 * Reads a TF.js graph model (model.json: a TensorFlow GraphDef as JSON, plus weight shards) into
 * plain nodes and weight tensors, the input of the ONNX converter (tfjs-graph-to-onnx.ts). Weights
 * are dequantised to float32 the way TF.js does on load: float16 widened exactly, uint8/uint16 as
 * `min + scale * q`; int32 constants (paddings, axes, shapes) kept as integers.
 */
const AttrValue = z.object({
  i: z.union([z.string(), z.number()]).optional(),
  f: z.number().optional(),
  b: z.boolean().optional(),
  s: z.string().optional(),
  type: z.string().optional(),
  list: z.object({ i: z.array(z.union([z.string(), z.number()])).optional(), s: z.array(z.string()).optional() }).optional(),
});

const GraphModelJson = z.object({
  format: z.literal("graph-model"),
  modelTopology: z.object({
    node: z.array(z.object({ name: z.string(), op: z.string(), input: z.array(z.string()).optional(), attr: z.record(z.string(), z.unknown()).optional() })),
  }),
  weightsManifest: z.array(
    z.object({
      paths: z.array(z.string()),
      weights: z.array(
        z.object({
          name: z.string(),
          shape: z.array(z.number().int()),
          dtype: z.enum(["float32", "int32"]),
          quantization: z
            .object({ dtype: z.enum(["float16", "uint8", "uint16"]), min: z.number().optional(), scale: z.number().optional() })
            .optional(),
        }),
      ),
    }),
  ),
});

export interface GraphNode {
  readonly name: string;
  readonly op: string;
  /** Data inputs by producing node name (":0" output suffixes and control inputs removed). */
  readonly inputs: readonly string[];
  readonly attr: Readonly<Record<string, GraphAttr>>;
}

/** One node attribute, decoded: ints as numbers, strings from base64, lists as arrays. */
export type GraphAttr = number | boolean | string | readonly number[] | readonly string[];

export type GraphWeight = { readonly shape: readonly number[] } & ({ readonly dtype: "float32"; readonly values: Float32Array } | { readonly dtype: "int32"; readonly values: Int32Array });

export interface TfjsGraphModel {
  readonly nodes: readonly GraphNode[];
  readonly weights: ReadonlyMap<string, GraphWeight>;
}

export function readTfjsGraphModel(modelJsonPath: string): TfjsGraphModel {
  const json = GraphModelJson.parse(JSON.parse(readFileSync(modelJsonPath, "utf8")));
  const nodes = json.modelTopology.node.map((node) => ({
    name: node.name,
    op: node.op,
    inputs: (node.input ?? []).filter((input) => !input.startsWith("^")).map(producerName),
    attr: Object.fromEntries(Object.entries(node.attr ?? {}).map(([key, value]) => [key, decodeAttr(AttrValue.parse(value))])),
  }));
  return { nodes, weights: readWeights(json.weightsManifest, dirname(modelJsonPath)) };
}

/** "name:0" is output 0 of node "name"; every op these converters accept has a single output. */
function producerName(input: string): string {
  const match = /^(.*):(\d+)$/.exec(input);
  if (match === null) return input;
  if (match[2] !== "0") throw new Error(`${input}: only single-output producers are supported`);
  return match[1] ?? input;
}

function decodeAttr(value: z.infer<typeof AttrValue>): GraphAttr {
  if (value.list !== undefined) {
    if (value.list.s !== undefined) return value.list.s.map((s) => Buffer.from(s, "base64").toString("utf8"));
    return (value.list.i ?? []).map(Number);
  }
  if (value.i !== undefined) return Number(value.i);
  if (value.f !== undefined) return value.f;
  if (value.b !== undefined) return value.b;
  if (value.s !== undefined) return Buffer.from(value.s, "base64").toString("utf8");
  return value.type ?? "";
}

function readWeights(manifest: z.infer<typeof GraphModelJson>["weightsManifest"], directory: string): Map<string, GraphWeight> {
  const tensors = new Map<string, GraphWeight>();
  for (const group of manifest) {
    const data = Buffer.concat(group.paths.map((path) => readFileSync(join(directory, path))));
    let offset = 0;
    for (const weight of group.weights) {
      const count = weight.shape.reduce((a, b) => a * b, 1);
      if (weight.dtype === "int32") {
        if (weight.quantization !== undefined) throw new Error(`${weight.name}: quantised int32 weights are not supported`);
        const values = new Int32Array(count);
        for (let i = 0; i < count; i++) values[i] = data.readInt32LE(offset + 4 * i);
        tensors.set(weight.name, { shape: weight.shape, dtype: "int32", values });
        offset += 4 * count;
        continue;
      }
      const values = new Float32Array(count);
      const q = weight.quantization;
      if (q === undefined) {
        for (let i = 0; i < count; i++) values[i] = data.readFloatLE(offset + 4 * i);
        offset += 4 * count;
      } else if (q.dtype === "float16") {
        for (let i = 0; i < count; i++) values[i] = float16ToFloat32(data.readUInt16LE(offset + 2 * i));
        offset += 2 * count;
      } else {
        if (q.min === undefined || q.scale === undefined) throw new Error(`${weight.name}: ${q.dtype} quantisation without min and scale`);
        const width = q.dtype === "uint8" ? 1 : 2;
        for (let i = 0; i < count; i++) values[i] = q.min + q.scale * (width === 1 ? (data[offset + i] ?? 0) : data.readUInt16LE(offset + 2 * i));
        offset += width * count;
      }
      tensors.set(weight.name, { shape: weight.shape, dtype: "float32", values });
    }
    if (offset !== data.length) throw new RangeError(`${group.paths.join(",")}: read ${offset} of ${data.length} weight bytes`);
  }
  return tensors;
}

/** IEEE 754 half precision to single: exact (every half value is a float32 value). */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
