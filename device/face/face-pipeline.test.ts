import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaceDetector } from "./face-detector.js";
import { FaceEmbedder } from "./face-embedder.js";
import { FacePipeline } from "./face-pipeline.js";
import { TemplateStore } from "./template-store.js";

/** Enrolment and verification with LFW identities that have several photos. */
const BUILD = fileURLToPath(new URL("../../models/build/", import.meta.url));
const LFW = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cw-face-"));
let detector: FaceDetector;
let embedder: FaceEmbedder;
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
  pipeline = new FacePipeline(detector, embedder);
  store = new TemplateStore(join(dir, "templates.db"), randomBytes(32));
});

afterAll(async () => {
  store.close();
  await detector.close();
  await embedder.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("enrolment and verification", () => {
  it("enrols from several good frames, verifies a new photo of the same person and rejects another person", { timeout: 60_000 }, async () => {
    const agassi = photos("Andre_Agassi");
    const enrolled = await pipeline.enrol(agassi.slice(0, 4), "ref-agassi", store);
    expect(enrolled.ok).toBe(true);
    const same = await pipeline.verify(agassi.slice(6, 9), "ref-agassi", store);
    expect(same.outcome).toBe("verified");
    const other = await pipeline.verify(photos("Abdullah_Gul").slice(0, 3), "ref-agassi", store);
    expect(other).toMatchObject({ outcome: "face_mismatch", framesUsed: 3, model: "dlib-resnet-v1@1" });
  });

  it("reports one face enrolled under two cards", { timeout: 60_000 }, async () => {
    const gul = photos("Abdullah_Gul");
    expect((await pipeline.enrol(gul.slice(0, 3), "ref-gul-card-1", store)).ok).toBe(true);
    // Photo 9 shows two people and is refused by the quality gate; 4 to 7 are usable.
    const second = await pipeline.enrol(gul.slice(3, 7), "ref-gul-card-2", store);
    expect(second.ok && second.duplicateOf.map((d) => d.personRef)).toEqual(["ref-gul-card-1"]);
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

  it("has nothing to compare for a card never enrolled, or enrolled with another model", async () => {
    expect(await pipeline.verify(photos("Amelia_Vega").slice(0, 1), "ref-nobody", store)).toEqual({ outcome: "not_enrolled", framesUsed: 0 });
    expect(store.get("ref-agassi", "some-other-model@2")).toBeUndefined();
  });
});
