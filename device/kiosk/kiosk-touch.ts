import { z } from "zod";
import { ATTESTATION_REASONS } from "../../protocol/index.js";
import type { KioskLanguage } from "../ports.js";

/**
 * What the kiosk page may post: the touches the flows understand (device/flows/flow-types.ts
 * KioskAction, with the round id left to the agent) and the language switch. Strict schemas: a
 * touch from the page is untrusted input like any other, and a malformed one is refused with the
 * schema's words, never passed to the flows.
 */
const Ward = z.string().min(1).max(64);
const Bed = z.string().min(1).max(32);

export const KioskTouch = z.discriminatedUnion("action", [
  z.strictObject({ action: z.literal("start_enrolment") }),
  z.strictObject({ action: z.literal("start_attestation") }),
  z.strictObject({ action: z.literal("choose_reason"), reason: z.enum(ATTESTATION_REASONS), note: z.string().max(200).optional() }),
  z.strictObject({ action: z.literal("start_round"), role: z.enum(["doctor", "nurse", "inspector"]) }),
  z.strictObject({ action: z.literal("end_round") }),
  z.strictObject({ action: z.literal("pick_bed"), ward: Ward, bed: Bed }),
  z.strictObject({ action: z.literal("scan_bed"), code: z.string().min(1).max(120) }),
  z.strictObject({ action: z.literal("patient_absent") }),
  z.strictObject({ action: z.literal("cancel") }),
]);
export type KioskTouch = z.infer<typeof KioskTouch>;

export const KIOSK_LANGUAGES = ["zh-CN", "en"] as const satisfies readonly KioskLanguage[];
export const LanguageChoice = z.strictObject({ language: z.enum(KIOSK_LANGUAGES) });

/** One line per problem, `path: message`, for a 400 answer a person can act on. */
export function touchProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length === 0 ? "(body)" : issue.path.join(".")}: ${issue.message}`);
}
