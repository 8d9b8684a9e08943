import { z } from "zod";

/**
 * Every rule's parameters, with defaults; `reconcile(input, ReconcileParams.parse({}))` runs the
 * defaults. Durations in minutes, counts in sessions or days.
 */
const perDialysisKind = (value: number) =>
  z
    .strictObject({
      haemodialysis: z.number().int().min(0).default(value),
      haemofiltration: z.number().int().min(0).default(value),
      haemodiafiltration: z.number().int().min(0).default(value),
    })
    .prefault({});

export const ReconcileParams = z
  .strictObject({
    presenceOutcomes: z
      .array(z.enum(["verified", "attested", "card_only"]))
      .default(["verified", "attested"])
      .describe("Check outcomes that count as the patient verified present (D1, D3, B2)."),
    d1: z
      .strictObject({
        beforeMinutes: z.number().int().min(0).default(60).describe("A check-in may come this long before the billed start."),
        afterMinutes: z.number().int().min(0).default(30).describe("... or this long after it."),
      })
      .prefault({}),
    d3: z
      .strictObject({
        maxSessionMinutes: z.number().int().min(1).default(480).describe("A check-out later than this after its check-in does not close it; a check-in older than this (relative to asOf) with no check-out is reported."),
        minDurationMinutes: perDialysisKind(180).describe("Shortest plausible session per item category."),
      })
      .prefault({}),
    d4: z
      .strictObject({ assumedSessionMinutes: z.number().int().min(1).default(240).describe("Length assumed for a billed session without an end.") })
      .prefault({}),
    d5: z
      .strictObject({
        windowDays: z.number().int().min(1).default(7),
        maxSessions: perDialysisKind(3).describe("Most sessions per item category in the rolling window."),
      })
      .prefault({}),
    d6: z
      .strictObject({
        excludeAdmissionAndDischargeDays: z.boolean().default(true).describe("Transfers happen on these days: an outpatient session then is not reported."),
      })
      .prefault({}),
    bedDay: z
      .strictObject({
        startHour: z.number().int().min(0).max(23).default(6).describe("A bed-day D runs from D at this CST hour to D+1 at this hour, so a 01:00 night round belongs to the previous day."),
      })
      .prefault({}),
    b2: z
      .strictObject({ maxDaysWithoutCheck: z.number().int().min(1).default(3).describe("K: more consecutive billed days than this without a bedside check is reported.") })
      .prefault({}),
    asOf: z.number().int().nullable().default(null).describe("Evaluation time (ms); null: the latest instant in the input."),
  })
  .prefault({});
export type ReconcileParams = z.infer<typeof ReconcileParams>;
