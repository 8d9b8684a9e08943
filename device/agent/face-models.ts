import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BoxConfig } from "../../firmware-config/box-config.js";
import { EyeContourModel } from "../face/eye-contour.js";
import { FaceDetector } from "../face/face-detector.js";
import { FaceEmbedder } from "../face/face-embedder.js";
import { FaceLandmarker } from "../face/face-landmarker.js";
import { decisionThresholds } from "../face/check-decision.js";
import { FacePipeline } from "../face/face-pipeline.js";
import type { TemplateStore } from "../face/template-store.js";
import { LandmarkLiveness, PipelineFaceCheck, type FaceCheck } from "./face-check.js";

/**
 * The face models the agent runs, loaded once per process (each checked against its manifest), and
 * the factory the agent calls for each configuration: thresholds change with a push, models do not.
 */
export interface FaceModels {
  readonly detector: FaceDetector;
  readonly embedder: FaceEmbedder;
  readonly landmarker: FaceLandmarker;
  /** Eyelid contours (MediaPipe Iris), for the blink challenge. */
  readonly eyes: EyeContourModel;
  close(): Promise<void>;
}

/** models/build/ of this package: where `npm install` puts the ONNX files and manifests. */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL("../../models/build/", import.meta.url));

export async function loadFaceModels(dir: string = DEFAULT_MODELS_DIR, threads = 1): Promise<FaceModels> {
  const load = <T>(name: string, loader: (manifest: string, onnx: string, threads: number) => Promise<T>): Promise<T> =>
    loader(join(dir, `${name}.manifest.json`), join(dir, `${name}.onnx`), threads);
  const detector = await load("blazeface-back-256", (m, o, t) => FaceDetector.load(m, o, t));
  const embedder = await load("dlib-resnet-v1", (m, o, t) => FaceEmbedder.load(m, o, t));
  const landmarker = await load("face-landmark-68", (m, o, t) => FaceLandmarker.load(m, o, t));
  const eyes = await load("iris-landmark-64", (m, o, t) => EyeContourModel.load(m, o, t));
  return {
    detector,
    embedder,
    landmarker,
    eyes,
    async close() {
      await Promise.all([detector.close(), embedder.close(), landmarker.close(), eyes.close()]);
    },
  };
}

/**
 * The face pipeline a box runs for a configuration. Enrol with this one too: the landmark chip is
 * what the recogniser's threshold was calibrated with, and a template made from another chip
 * alignment compares worse.
 */
export function facePipelineFor(models: FaceModels, behaviour: BoxConfig["behaviour"]): FacePipeline {
  return new FacePipeline(models.detector, models.embedder, { matchThreshold: behaviour.faceThreshold, landmarker: models.landmarker });
}

export function pipelineFaceCheckFactory(models: FaceModels, templates: TemplateStore): (config: BoxConfig) => FaceCheck {
  const liveness = new LandmarkLiveness(models.detector, models.landmarker, models.eyes);
  return (config) => new PipelineFaceCheck(facePipelineFor(models, config.behaviour), templates, liveness, decisionThresholds(models.embedder.manifest, config.behaviour));
}
