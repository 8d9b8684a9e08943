import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { euclideanDistance, FaceEmbedder, l2Normalised } from "./face-embedder.js";
import { mirrorChip } from "./landmark-alignment.js";

/**
 * The embedder's post-processing (mirrored-chip averaging, L2 normalisation) on a real face: each
 * step is what it claims, and a box gets the processing its manifest's thresholds were calibrated with.
 */
const BUILD = fileURLToPath(new URL("../../models/build/", import.meta.url));
const FACES = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));
const manifest = join(BUILD, "dlib-resnet-v1.manifest.json");
const onnx = join(BUILD, "dlib-resnet-v1.onnx");
let raw: FaceEmbedder;
let chip: Uint8Array;

beforeAll(async () => {
  raw = await FaceEmbedder.load(manifest, onnx, 1, { flip: false, normalisation: "none" });
  // LFW centres its faces: the middle 150 px square of a 250 px image is a face chip.
  chip = await sharp(join(FACES, "Abel_Pacheco", "Abel_Pacheco_0001.jpg")).extract({ left: 50, top: 50, width: 150, height: 150 }).toColourspace("srgb").raw().toBuffer();
});
afterAll(async () => {
  await raw.close();
});

const norm = (v: Float32Array): number => Math.hypot(...v);

describe("FaceEmbedder descriptor processing", () => {
  it("L2 normalisation scales the raw descriptor to unit length without turning it", async () => {
    const embedder = await FaceEmbedder.load(manifest, onnx, 1, { flip: false, normalisation: "l2" });
    const plain = await raw.embed(chip);
    const unit = await embedder.embed(chip);
    await embedder.close();
    expect(norm(plain)).toBeGreaterThan(1.05); // dlib's descriptors are not unit length (about 1.2–1.7)
    expect(norm(unit)).toBeCloseTo(1, 5);
    for (let i = 0; i < unit.length; i++) expect(unit[i]).toBeCloseTo((plain[i] ?? 0) / norm(plain), 6);
  });

  it("flip averages the chip's descriptor with its mirror image's", async () => {
    const embedder = await FaceEmbedder.load(manifest, onnx, 1, { flip: true, normalisation: "none" });
    const flipped = await embedder.embed(chip);
    await embedder.close();
    const a = await raw.embedRaw(chip);
    const b = await raw.embedRaw(mirrorChip(chip, 150));
    expect(euclideanDistance(a, b)).toBeGreaterThan(0.01); // a face is not exactly symmetric
    for (let i = 0; i < flipped.length; i++) expect(flipped[i]).toBeCloseTo(((a[i] ?? 0) + (b[i] ?? 0)) / 2, 5);
    // Its own chip is left as it was (the mirror goes to a separate buffer).
    expect(await raw.embedRaw(chip)).toEqual(a);
  });

  it("without overrides, processes as the manifest's calibration says", async () => {
    const embedder = await FaceEmbedder.load(manifest, onnx);
    const calibrated = embedder.manifest.calibration;
    expect(embedder.processing).toEqual({ flip: calibrated?.flip ?? false, normalisation: calibrated?.normalisation ?? "none" });
    await embedder.close();
  });

  it("rejects a chip of the wrong size and leaves an all-zero vector alone", async () => {
    await expect(raw.embed(new Uint8Array(10))).rejects.toThrow(RangeError);
    expect(l2Normalised(new Float32Array(4))).toEqual(new Float32Array(4));
  });
});
