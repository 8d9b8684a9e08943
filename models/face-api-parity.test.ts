import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Parity of the rebuilt ONNX recogniser with the source model in its own runtime: face-api's
 * FaceRecognitionNet on TF.js with the WASM backend (dev dependencies only), on real face images.
 */
const require = createRequire(import.meta.url);

interface Tensor3D {
  dispose(): void;
}
interface FaceApi {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    tensor3d(values: Int32Array, shape: [number, number, number], dtype: "int32"): Tensor3D;
  };
  nets: {
    faceRecognitionNet: { loadFromDisk(dir: string): Promise<void>; computeFaceDescriptor(input: Tensor3D): Promise<Float32Array> };
    faceLandmark68Net: { loadFromDisk(dir: string): Promise<void>; detectLandmarks(input: Tensor3D): Promise<{ positions: { x: number; y: number }[] }> };
  };
}

const faceApiDir = dirname(require.resolve("@vladmandic/face-api/package.json"));
const BUILT = fileURLToPath(new URL("./build/dlib-resnet-v1.onnx", import.meta.url));
const LFW = fileURLToPath(new URL("../../shared/faces/lfw/", import.meta.url));
let faceApi: FaceApi;
let session: ort.InferenceSession;
let landmarks: ort.InferenceSession;
const BUILT_LANDMARKS = fileURLToPath(new URL("./build/face-landmark-68.onnx", import.meta.url));

beforeAll(async () => {
  faceApi = require("@vladmandic/face-api/dist/face-api.node-wasm.js") as FaceApi;
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { setWasmPaths(prefix: string): void };
  wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  await faceApi.tf.setBackend("wasm");
  await faceApi.tf.ready();
  await faceApi.nets.faceRecognitionNet.loadFromDisk(join(faceApiDir, "model"));
  await faceApi.nets.faceLandmark68Net.loadFromDisk(join(faceApiDir, "model"));
  session = await ort.InferenceSession.create(readFileSync(BUILT), { intraOpNumThreads: 1, logSeverityLevel: 3 });
  landmarks = await ort.InferenceSession.create(readFileSync(BUILT_LANDMARKS), { intraOpNumThreads: 1, logSeverityLevel: 3 });
}, 60_000);

afterAll(async () => {
  await session.release();
  await landmarks.release();
});

function samplePeople(): string[] {
  return readdirSync(LFW)
    .sort()
    .filter((_, i) => i % 200 === 0);
}

describe("rebuilt models on onnxruntime-node against face-api on TF.js (WASM)", () => {
  it("gives the same descriptor for real faces: max |difference| under 1e-4, cosine above 0.99999", { timeout: 120_000 }, async () => {
    const people = samplePeople();
    expect(people.length).toBeGreaterThanOrEqual(10);
    for (const person of people) {
      const image = join(LFW, person, readdirSync(join(LFW, person)).sort()[0] ?? "");
      const pixels = await sharp(image).extract({ left: 50, top: 50, width: 150, height: 150 }).toColourspace("srgb").raw().toBuffer();
      const input = faceApi.tf.tensor3d(Int32Array.from(pixels), [150, 150, 3], "int32");
      const reference = await faceApi.nets.faceRecognitionNet.computeFaceDescriptor(input);
      input.dispose();
      const out = await session.run({ image: new ort.Tensor("float32", Float32Array.from(pixels), [1, 150, 150, 3]) });
      const onnx = out.descriptor?.data as Float32Array;
      let maxDiff = 0;
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let i = 0; i < 128; i++) {
        const r = reference[i] ?? 0;
        const o = onnx[i] ?? 0;
        maxDiff = Math.max(maxDiff, Math.abs(r - o));
        dot += r * o;
        a += r * r;
        b += o * o;
      }
      expect(maxDiff, person).toBeLessThan(1e-4);
      expect(dot / Math.sqrt(a * b), person).toBeGreaterThan(0.99999);
    }
  });

  it("gives the same 68 landmarks as face-api's FaceLandmark68Net: within 1e-3 px on a 112 px face", { timeout: 120_000 }, async () => {
    for (const person of samplePeople()) {
      const image = join(LFW, person, readdirSync(join(LFW, person)).sort()[0] ?? "");
      const pixels = await sharp(image).extract({ left: 60, top: 60, width: 130, height: 130 }).resize(112, 112).toColourspace("srgb").raw().toBuffer();
      const input = faceApi.tf.tensor3d(Int32Array.from(pixels), [112, 112, 3], "int32");
      const reference = (await faceApi.nets.faceLandmark68Net.detectLandmarks(input)).positions;
      input.dispose();
      const out = (await landmarks.run({ image: new ort.Tensor("float32", Float32Array.from(pixels), [1, 112, 112, 3]) })).landmarks?.data as Float32Array;
      expect(reference).toHaveLength(68);
      let maxDiff = 0;
      reference.forEach((p, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(p.x - (out[2 * i] ?? 0) * 112), Math.abs(p.y - (out[2 * i + 1] ?? 0) * 112));
      });
      expect(maxDiff, person).toBeLessThan(1e-3);
    }
  });
});
