import { z } from "zod";

/**
 * The parts of a box's configuration the gateway may change remotely: behaviour knobs and the ward
 * roster. Defined once here; the box's configuration file (box-config.ts) and the contract's config
 * message (protocol/messages/config.ts) both use these schemas, so a push can never carry a setting
 * the box cannot hold.
 */
const HourMinute = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM");

export const BehaviourSettings = z
  .strictObject({
    faceThreshold: z.number().nullable().describe("Match distance; null: the model manifest's calibrated value."),
    livenessThreshold: z.number().min(0).max(1).nullable(),
    repeatTapWindowS: z.number().int().min(0).max(3600).describe("Taps within this window are one check."),
    maxDialysisSessionMin: z.number().int().min(30).max(24 * 60),
    nightMode: z.strictObject({ from: HourMinute, to: HourMinute, exposure: z.enum(["auto", "long", "ir"]) }),
    livenessChallenges: z
      .array(z.enum(["blink", "turn_left", "turn_right"]))
      .min(1)
      .max(3)
      .default(["turn_left", "turn_right"])
      .describe(
        "Active liveness challenges the box picks from at random; a head turn is judged on the 68-point landmarks' yaw. \"blink\" is judged on the iris model's eyelid contour (both eyes below 75 % of their open baseline, then reopened): it ranks real closed eyes below open ones 98 % of the time on labelled LFW photos, but reads only 17 of 26 closed photos as a blink against the same person's open ones, and no real blink video has been measured, so it is opt-in: a failed challenge is recorded as a suspected spoof, which alerts supervisors.",
      ),
  })
  .describe("Behaviour knobs; null thresholds mean the model manifest's calibrated default.");
export type BehaviourSettings = z.infer<typeof BehaviourSettings>;

export const DEFAULT_BEHAVIOUR: BehaviourSettings = {
  faceThreshold: null,
  livenessThreshold: null,
  repeatTapWindowS: 120,
  maxDialysisSessionMin: 300,
  nightMode: { from: "21:00", to: "06:00", exposure: "auto" },
  livenessChallenges: ["turn_left", "turn_right"],
};

export const RosterEntry = z.strictObject({
  ward: z.string().min(1).max(64),
  bed: z.string().min(1).max(32),
  occupant: z
    .strictObject({
      ref: z
        .string()
        .regex(/^[0-9a-f]{64}$/, "person ref: 64 lowercase hex characters (HMAC-SHA256)")
        .describe("HMAC-SHA256 of the normalised ID number under the deployment's pseudonym key, lowercase hex."),
      refKey: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,32}$/, "pseudonym key id: 1-32 of A-Z a-z 0-9 _ . -")
        .describe("Which deployment pseudonym key produced the person refs, so keys can be rotated."),
      masked: z.string().regex(/^[0-9A-Z]{0,4}\*{4,}[0-9A-Z]{0,4}$/).nullable(),
    })
    .optional()
    .describe(
      "The inpatient assigned to the bed, when the gateway knows it: a night round that finds the bed empty reports `absent` under this subject, since no card can be read.",
    ),
});
export type RosterEntry = z.infer<typeof RosterEntry>;
