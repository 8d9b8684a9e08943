import type { Outcome } from "../../protocol/index.js";
import type { SeededRandom } from "./seeded-random.js";

/**
 * How often each outcome happens. Mostly verified; absences only at the bedside and more of them at
 * night (patients in the toilet, out smoking, or not there at all — the case the insurer pays for);
 * no_face and card_only more at night (dark rooms, sleeping patients).
 */
export type CheckContext = "dialysis" | "day_round" | "night_round";

export const OUTCOME_ODDS: Record<CheckContext, Partial<Record<Outcome, number>>> = {
  dialysis: {
    verified: 0.935,
    face_mismatch: 0.012,
    suspected_spoof: 0.004,
    no_face: 0.012,
    card_only: 0.015,
    attested: 0.017,
    card_unreadable: 0.005,
  },
  day_round: {
    verified: 0.9,
    absent: 0.025,
    face_mismatch: 0.01,
    suspected_spoof: 0.003,
    no_face: 0.02,
    card_only: 0.02,
    attested: 0.017,
    card_unreadable: 0.005,
  },
  night_round: {
    verified: 0.82,
    absent: 0.07,
    face_mismatch: 0.012,
    suspected_spoof: 0.003,
    no_face: 0.04,
    card_only: 0.03,
    attested: 0.02,
    card_unreadable: 0.005,
  },
};

export function drawOutcome(random: SeededRandom, context: CheckContext): Outcome {
  return random.weighted(OUTCOME_ODDS[context] as Record<Outcome, number>);
}
