import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * TF.js weights: a manifest of groups (binary shard files and the tensors packed in them, in order)
 * and the shards. Read the way TF.js does on load: float16 widened exactly, uint8/uint16 as
 * `min + scale * q`, float32 as it is; int32 constants (paddings, axes, shapes) kept as integers.
 * face-api's layer models and Human's graph models both ship this format.
 */
export const TfjsWeightsManifest = z.array(
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
);
export type TfjsWeightsManifest = z.infer<typeof TfjsWeightsManifest>;

export type GraphWeight = { readonly shape: readonly number[] } & ({ readonly dtype: "float32"; readonly values: Float32Array } | { readonly dtype: "int32"; readonly values: Int32Array });

export function readTfjsWeightGroups(manifest: TfjsWeightsManifest, directory: string): Map<string, GraphWeight> {
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
