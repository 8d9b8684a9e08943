import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * Reads a TF.js weights manifest and its binary shards (the format face-api ships): tensors in
 * manifest order, uint8-quantised ones dequantised as `min + scale * q`, float32 ones as they are.
 */
const WeightsManifest = z.array(
  z.object({
    paths: z.array(z.string()),
    weights: z.array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int()),
        dtype: z.literal("float32"),
        quantization: z.object({ dtype: z.literal("uint8"), min: z.number(), scale: z.number() }).optional(),
      }),
    ),
  }),
);

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export function readTfjsWeights(directory: string, manifestFile: string): Map<string, NamedTensor> {
  const groups = WeightsManifest.parse(JSON.parse(readFileSync(join(directory, manifestFile), "utf8")));
  const tensors = new Map<string, NamedTensor>();
  for (const group of groups) {
    const data = Buffer.concat(group.paths.map((path) => readFileSync(join(directory, path))));
    let offset = 0;
    for (const weight of group.weights) {
      const count = weight.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(count);
      if (weight.quantization === undefined) {
        for (let i = 0; i < count; i++) values[i] = data.readFloatLE(offset + 4 * i);
        offset += 4 * count;
      } else {
        const { min, scale } = weight.quantization;
        for (let i = 0; i < count; i++) values[i] = min + scale * (data[offset + i] ?? 0);
        offset += count;
      }
      tensors.set(weight.name, { shape: weight.shape, values });
    }
    if (offset !== data.length) throw new RangeError(`${manifestFile}: read ${offset} of ${data.length} weight bytes`);
  }
  return tensors;
}
