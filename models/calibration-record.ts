import { z } from "zod";

/**
 * A recogniser's calibration as `npm run bench:face -- --write-calibration` measured it, committed
 * beside the model's converter (e.g. models/dlib-resnet/calibration.json). The model build copies
 * its thresholds and figures into the manifest, so `npm install` keeps producing byte-identical
 * manifests, and a new calibration is a reviewed change to one small file.
 */
const DescriptorNormalisation = z
  .enum(["none", "l2"])
  .default("none")
  .describe('"l2": descriptors scaled to unit length before the Euclidean distance (the embedder does it; thresholds are on that scale).');

export const CalibrationRecord = z.strictObject({
  model: z.string().regex(/^[a-z0-9-]+@[^@\s]+$/).describe("id@version of the model measured."),
  alignment: z.enum(["landmarks68", "eyes"]).describe("How the chip was placed when the figures were measured."),
  flip: z.boolean().describe("Whether descriptors averaged the mirrored chip's."),
  normalisation: DescriptorNormalisation,
  dataset: z.string().min(1),
  measuredWith: z.string().min(1),
  thresholds: z.strictObject({
    matchDistance: z.number().positive().describe("Accuracy-optimal distance threshold on all pairs: the default decision."),
    matchDistanceFar1e2: z.number().positive(),
    matchDistanceFar1e3: z.number().positive().describe("Stricter: about 1 false accept in 1,000 impostor attempts on the set."),
  }),
  figures: z.record(z.string(), z.number()),
});
export type CalibrationRecord = z.infer<typeof CalibrationRecord>;

/** The manifest block the build writes from a calibration record. */
export const ManifestCalibration = z.strictObject({
  alignment: z.enum(["landmarks68", "eyes"]),
  flip: z.boolean(),
  normalisation: DescriptorNormalisation,
  dataset: z.string().min(1),
  measuredWith: z.string().min(1),
  figures: z.record(z.string(), z.number()),
});
export type ManifestCalibration = z.infer<typeof ManifestCalibration>;

/** Thresholds and figures of `record` for the manifest of `modelId@version`; refuses another model's record. */
export function calibrationForManifest(record: CalibrationRecord, modelId: string, version: string): { thresholds: Record<string, number>; calibration: ManifestCalibration } {
  if (record.model !== `${modelId}@${version}`) {
    throw new Error(`calibration was measured on ${record.model}, not ${modelId}@${version}: re-run npm run bench:face -- --write-calibration`);
  }
  const { alignment, flip, normalisation, dataset, measuredWith, figures } = record;
  return { thresholds: { ...record.thresholds }, calibration: { alignment, flip, normalisation, dataset, measuredWith, figures } };
}
