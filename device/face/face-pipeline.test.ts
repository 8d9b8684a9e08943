import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaceDetector } from "./face-detector.js";
import { FaceEmbedder } from "./face-embedder.js";
import { FaceLandmarker } from "./face-landmarker.js";
import { FacePipeline } from "./face-pipeline.js";
import { TemplateStore } from "./template-store.js";

/**
 * Enrolment and verification with LFW identities that have several photos, as a box runs them: the
 * 68-landmark chip and the manifest's calibrated threshold.
 */
const BUILD = fileURLToPath(new URL("../../models/build/", import.meta.url));
const LFW = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cw-face-"));
let detector: FaceDetector;
let embedder: FaceEmbedder;
let landmarker: FaceLandmarker;
let pipeline: FacePipeline;
let store: TemplateStore;

function photos(name: string): Buffer[] {
  return readdirSync(join(LFW, name))
    .sort()
    .map((file) => readFileSync(join(LFW, name, file)));
}

beforeAll(async () => {
  detector = await FaceDetector.load(join(BUILD, "blazeface-back-256.manifest.json"), join(BUILD, "blazeface-back-256.onnx"));
  embedder = await FaceEmbedder.load(join(BUILD, "dlib-resnet-v1.manifest.json"), join(BUILD, "dlib-resnet-v1.onnx"));
  landmarker = await FaceLandmarker.load(join(BUILD, "face-landmark-68.manifest.json"), join(BUILD, "face-landmark-68.onnx"));
  pipeline = new FacePipeline(detector, embedder, { landmarker });
  store = new TemplateStore(join(dir, "templates.db"), randomBytes(32));
});

afterAll(async () => {
  store.close();
  await detector.close();
  await embedder.close();
  await landmarker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("enrolment and verification", () => {
  it("decides at the threshold the manifest was calibrated with, measured with this alignment", () => {
    const { thresholds, calibration } = embedder.manifest;
    expect(pipeline.threshold).toBe(thresholds.matchDistance);
    expect(calibration?.alignment).toBe(pipeline.alignment);
    expect(new FacePipeline(detector, embedder, { landmarker, matchThreshold: 0.42 }).threshold).toBe(0.42);
    expect(new FacePipeline(detector, embedder, { landmarker, matchThreshold: null }).threshold).toBe(thresholds.matchDistance);
  });

  it("enrols from several good frames, verifies a new photo of the same person and rejects another person", { timeout: 60_000 }, async () => {
    const agassi = photos("Andre_Agassi");
    const enrolled = await pipeline.enrol(agassi.slice(0, 4), "ref-agassi", store);
    expect(enrolled.ok).toBe(true);
    const same = await pipeline.verify(agassi.slice(6, 9), "ref-agassi", store);
    expect(same.outcome).toBe("verified");
    const other = await pipeline.verify(photos("Abdullah_Gul").slice(0, 3), "ref-agassi", store);
    expect(other).toMatchObject({ outcome: "face_mismatch", framesUsed: 3, model: "dlib-resnet-v1@2" });
  });

  it("reports one face enrolled under two cards", { timeout: 60_000 }, async () => {
    const gul = photos("Abdullah_Gul");
    expect((await pipeline.enrol(gul.slice(0, 3), "ref-gul-card-1", store)).ok).toBe(true);
    // Photo 9 shows two people and is refused by the quality gate; 4 to 7 are usable.
    const second = await pipeline.enrol(gul.slice(3, 7), "ref-gul-card-2", store);
    expect(second.ok && second.duplicateOf.map((d) => d.personRef)).toEqual(["ref-gul-card-1"]);
  });

  it("says whose face a mismatch was (1:N over the other templates), and recognises a watch-listed face on any card", { timeout: 60_000 }, async () => {
    const idStore = new TemplateStore(join(dir, "identify.db"), randomBytes(32));
    try {
      const brody = photos("Adrien_Brody");
      const sharpton = photos("Al_Sharpton");
      expect((await pipeline.enrol(brody.slice(0, 3), "ref-brody", idStore)).ok).toBe(true);
      expect((await pipeline.enrol(sharpton.slice(0, 3), "ref-sharpton", idStore)).ok).toBe(true);
      // Sharpton presents Brody's card: a mismatch, and the face is Sharpton's enrolled one.
      const impostor = await pipeline.verify(sharpton.slice(3, 5), "ref-brody", idStore);
      expect(impostor).toMatchObject({ outcome: "face_mismatch", identifiedAs: { personRef: "ref-sharpton" }, watchListedFace: null });
      if (impostor.outcome !== "face_mismatch" || impostor.identifiedAs === null) throw new Error("not identified");
      expect(impostor.identifiedAs.distance).toBeLessThan(pipeline.threshold);
      // A stranger nobody enrolled is a mismatch with no one identified.
      const stranger = await pipeline.verify(photos("Abdullah_Gul").slice(0, 2), "ref-brody", idStore);
      expect(stranger).toMatchObject({ outcome: "face_mismatch", identifiedAs: null, watchListedFace: null });
      // Sharpton's face on watch: seen with his own card (verified, but watched) and with Brody's.
      const own = await pipeline.verify(sharpton.slice(3, 5), "ref-sharpton", idStore, { watchFaces: ["ref-sharpton"] });
      expect(own).toMatchObject({ outcome: "verified", identifiedAs: null, watchListedFace: { personRef: "ref-sharpton" } });
      const other = await pipeline.verify(sharpton.slice(3, 5), "ref-brody", idStore, { watchFaces: ["ref-sharpton", "ref-not-held"] });
      expect(other).toMatchObject({ outcome: "face_mismatch", identifiedAs: { personRef: "ref-sharpton" }, watchListedFace: { personRef: "ref-sharpton" } });
      // Brody himself is not watched because Sharpton is.
      const brodyOwn = await pipeline.verify(brody.slice(3, 5), "ref-brody", idStore, { watchFaces: ["ref-sharpton"] });
      expect(brodyOwn).toMatchObject({ outcome: "verified", identifiedAs: null, watchListedFace: null });
    } finally {
      idStore.close();
    }
  });

  it("refuses to average frames of two different people into one template", { timeout: 60_000 }, async () => {
    const mixed = [...photos("Adrien_Brody").slice(0, 2), ...photos("Al_Sharpton").slice(0, 2)];
    const result = await pipeline.enrol(mixed, "ref-mixed", store);
    expect(result).toMatchObject({ ok: false, reason: "inconsistent_frames" });
    expect(store.get("ref-mixed", pipeline.model)).toBeUndefined();
  });

  it("says 'no face' with a coaching reason when no frame is usable, rather than 'mismatch'", async () => {
    const dark = await Promise.all(photos("Andre_Agassi").slice(0, 3).map((p) => sharp(p).linear(0.12, 0).jpeg().toBuffer()));
    const result = await pipeline.verify(dark, "ref-agassi", store);
    expect(result).toEqual({ outcome: "no_face", coaching: "too_dark", framesUsed: 3 });
  });

  it("skips an unreadable frame in a burst and decides on the good one beside it", { timeout: 60_000 }, async () => {
    const agassi = photos("Andre_Agassi");
    const truncated = (agassi[7] ?? Buffer.alloc(0)).subarray(0, 2000);
    const analysis = await pipeline.analyse(truncated);
    expect(analysis).toMatchObject({ verdict: { ok: false, reason: "unreadable_image" }, descriptor: null, imageError: { code: "corrupt" } });
    const result = await pipeline.verify([truncated, Buffer.from("not an image"), agassi[7] ?? Buffer.alloc(0)], "ref-agassi", store);
    expect(result).toMatchObject({ outcome: "verified", framesUsed: 3 });
    expect(await pipeline.verify([truncated, Buffer.alloc(0)], "ref-agassi", store)).toEqual({ outcome: "no_face", coaching: "unreadable_image", framesUsed: 2 });
  });

  it("returns the 68 landmarks it aligned with, in image pixels, for the liveness track", { timeout: 60_000 }, async () => {
    const analysis = await pipeline.analyse(photos("Andre_Agassi")[7] ?? Buffer.alloc(0));
    expect(analysis.landmarks).toHaveLength(68);
    // LFW faces sit in the middle of the 250 px image: the nose tip (30) near the centre.
    expect(analysis.landmarks?.[30]?.x).toBeGreaterThan(100);
    expect(analysis.landmarks?.[30]?.x).toBeLessThan(150);
  });

  it("has nothing to compare for a card never enrolled, or enrolled with another model", async () => {
    expect(await pipeline.verify(photos("Amelia_Vega").slice(0, 1), "ref-nobody", store)).toEqual({ outcome: "not_enrolled", framesUsed: 0 });
    expect(store.get("ref-agassi", "some-other-model@2")).toBeUndefined();
  });
});
