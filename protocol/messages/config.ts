import { z } from "zod";
import { BoxId, PersonRef, PseudonymKeyId, SiteId, Timestamp } from "../identifiers.js";
import { MASKED_ID_PATTERN } from "../pseudonym.js";
import { PROTOCOL_VERSION } from "../version.js";

/**
 * Remote configuration, retained on `cw/v1/{site}/{box}/config` by the gateway, so a box that
 * connects gets its current configuration at once. Secrets (the box's signing key, the pseudonym key,
 * template keys) are never sent here: they are provisioned once, out of band.
 */
export const ConfigMessage = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    site: SiteId,
    box: BoxId,
    revision: z.number().int().min(1).describe("Increases with every change; a box ignores an older revision."),
    issuedAt: Timestamp,
    settings: z
      .strictObject({
        faceThreshold: z.number().nullable(),
        livenessThreshold: z.number().min(0).max(1).nullable(),
        repeatTapWindowS: z.number().int().min(0).max(3600),
        maxDialysisSessionMin: z.number().int().min(30).max(24 * 60),
        nightMode: z.strictObject({
          from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
          to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
          exposure: z.enum(["auto", "long", "ir"]),
        }),
      })
      .describe("Behaviour knobs; null thresholds mean the model manifest's calibrated default."),
    roster: z
      .array(
        z.strictObject({
          ward: z.string().min(1).max(64),
          bed: z.string().min(1).max(32),
          occupant: z
            .strictObject({
              ref: PersonRef,
              refKey: PseudonymKeyId,
              masked: z.string().regex(MASKED_ID_PATTERN).nullable(),
            })
            .optional()
            .describe(
              "The inpatient assigned to the bed, when the gateway knows it: a night round that finds the bed empty reports `absent` under this subject, since no card can be read.",
            ),
        }),
      )
      .max(2000)
      .describe("Beds a ward-round box may pick from; empty for dialysis stations."),
  })
  .describe("Retained configuration from the gateway to one box.");
export type ConfigMessage = z.infer<typeof ConfigMessage>;
