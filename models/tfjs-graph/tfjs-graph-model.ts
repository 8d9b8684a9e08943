import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { readTfjsWeightGroups, TfjsWeightsManifest, type GraphWeight } from "../tfjs-weights.js";

/**
 * Reads a TF.js graph model (model.json: a TensorFlow GraphDef as JSON, plus weight shards) into
 * plain nodes and weight tensors (read by models/tfjs-weights.ts), the input of the ONNX converter
 * (tfjs-graph-to-onnx.ts).
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
  weightsManifest: TfjsWeightsManifest,
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

export type { GraphWeight } from "../tfjs-weights.js";

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
  return { nodes, weights: readTfjsWeightGroups(json.weightsManifest, dirname(modelJsonPath)) };
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
