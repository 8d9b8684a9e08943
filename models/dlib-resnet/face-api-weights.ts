import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readTfjsWeightGroups, TfjsWeightsManifest } from "../tfjs-weights.js";

/**
 * Reads a TF.js weights manifest and its binary shards (the format face-api ships) with the shared
 * reader (models/tfjs-weights.ts): the float tensors by name, uint8-quantised ones dequantised.
 */
export interface NamedTensor {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export function readTfjsWeights(directory: string, manifestFile: string): Map<string, NamedTensor> {
  const manifest = TfjsWeightsManifest.parse(JSON.parse(readFileSync(join(directory, manifestFile), "utf8")));
  const tensors = new Map<string, NamedTensor>();
  for (const [name, weight] of readTfjsWeightGroups(manifest, directory)) {
    if (weight.dtype !== "float32") throw new Error(`${manifestFile}: ${name} is ${weight.dtype}; face-api's layer models hold float tensors only`);
    tensors.set(name, { shape: weight.shape, values: weight.values });
  }
  return tensors;
}
