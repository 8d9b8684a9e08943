import { z } from "zod";
import { ManifestCalibration } from "./calibration-record.js";

/**
 * What the box needs to know about a model file besides its weights: where it came from (package,
 * version, file and checksum), the exact file it runs (checksum), the input's shape and normalisation,
 * what each output means, calibrated thresholds, and the licence. The build writes one next to each
 * ONNX file; the device refuses a model whose checksum does not match its manifest.
 */
export const ModelManifest = z.strictObject({
  manifestVersion: z.literal(1),
  id: z.string().regex(/^[a-z0-9-]+$/),
  version: z.string().min(1),
  task: z.enum(["face_detection", "face_embedding", "face_landmarks", "eye_landmarks", "liveness"]),
  file: z.string().regex(/^[a-z0-9.-]+\.onnx$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  source: z.strictObject({
    package: z.string().min(1),
    version: z.string().min(1),
    file: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    conversion: z.string().min(1).describe("What the build did to the source file."),
  }),
  licence: z.strictObject({ spdx: z.string().min(1), note: z.string() }),
  input: z.strictObject({
    name: z.string().min(1),
    shape: z.array(z.number().int().positive()),
    layout: z.enum(["NHWC", "NCHW"]),
    colour: z.enum(["rgb", "bgr", "gray"]),
    /** value = pixel * scale + offset */
    scale: z.number(),
    offset: z.number(),
  }),
  outputs: z.array(z.strictObject({ name: z.string().min(1), shape: z.array(z.number().int().positive()), meaning: z.string().min(1) })),
  thresholds: z.record(z.string(), z.number()),
  parameters: z.record(z.string(), z.union([z.number(), z.string(), z.array(z.number())])),
  /** Where the thresholds came from and what was measured with them (recognisers). */
  calibration: ManifestCalibration.optional(),
});
export type ModelManifest = z.infer<typeof ModelManifest>;
