import { chinaDayStart, chinaWeekday, DAY_MS, HOUR_MS, MINUTE_MS } from "./china-time.js";
import {
  staffOf,
  type DialysisPatient,
  type DialysisSchedule,
  type DialysisShift,
  type FleetPlan,
  type Inpatient,
  type PlannedBox,
  type PlannedStaff,
} from "./fleet-plan.js";
import type { SeededRandom } from "./seeded-random.js";

/**
 * When checks happen, before any event is built: dialysis sessions on each station and ward rounds
 * through each ward, in China time. Times are epoch ms; the window is (startMs, endMs].
 */

export interface TimeWindow {
  readonly startMs: number;
  readonly endMs: number;
}

export interface WardRound {
  /** Stable within the plan; the round's UUID is minted from it when events are built. */
  readonly key: string;
  readonly shift: "day" | "night";
  readonly startAt: number;
  readonly operator: PlannedStaff;
}

export type ScheduledCheck =
  | { readonly kind: "dialysis.check_in"; readonly at: number; readonly patient: DialysisPatient; readonly session: string }
  | { readonly kind: "dialysis.check_out"; readonly at: number; readonly patient: DialysisPatient; readonly session: string }
  | { readonly kind: "ward.bedside_check"; readonly at: number; readonly patient: Inpatient; readonly round: WardRound };

/** Shift start in hours after midnight: sessions of 3.5–4.5 h plus the jitter fit between them. */
export const SHIFT_START_HOURS: Record<DialysisShift, number> = { morning: 7, afternoon: 12, evening: 17 };
const CHECK_IN_JITTER_MIN = { early: 10, late: 15 };
const SESSION_HOURS = { min: 3.5, max: 4.5 };
const MISSED_SESSION = 0.02;
/** Day rounds start 08:45–09:30; night rounds 22:00–02:00 (ward practice; the brief's windows). */
const DAY_ROUND_START_HOURS = { min: 8.75, max: 9.5 };
const NIGHT_ROUND_START_HOURS = { min: 22, max: 26 };
const SECONDS_PER_BED = { min: 60, max: 180 };

const SCHEDULE_OF_WEEKDAY: readonly (DialysisSchedule | null)[] = [null, "mon_wed_fri", "tue_thu_sat", "mon_wed_fri", "tue_thu_sat", "mon_wed_fri", "tue_thu_sat"];

/** The China-time days whose checks can fall in the window (a night round may start the evening before). */
function daysCovering(window: TimeWindow): number[] {
  const days: number[] = [];
  for (let day = chinaDayStart(window.startMs) - DAY_MS; day <= chinaDayStart(window.endMs); day += DAY_MS) days.push(day);
  return days;
}

function inWindow(at: number, window: TimeWindow): boolean {
  return at > window.startMs && at <= window.endMs;
}

/**
 * A station's sessions: check-in at shift start (−10…+15 min), check-out 3.5–4.5 h later. A session
 * that began before the window is left out whole; one still running at its end has only its check-in.
 */
export function dialysisChecks(fleet: FleetPlan, box: PlannedBox, random: SeededRandom, window: TimeWindow): ScheduledCheck[] {
  const patients = fleet.dialysisPatients.filter((patient) => patient.box === box.box);
  const checks: ScheduledCheck[] = [];
  for (const day of daysCovering(window)) {
    const schedule = SCHEDULE_OF_WEEKDAY[chinaWeekday(day)] ?? null;
    for (const patient of patients) {
      if (patient.schedule !== schedule) continue;
      const jitter = random.between(-CHECK_IN_JITTER_MIN.early, CHECK_IN_JITTER_MIN.late) * MINUTE_MS;
      const checkIn = Math.round(day + SHIFT_START_HOURS[patient.shift] * HOUR_MS + jitter);
      const checkOut = Math.round(checkIn + random.between(SESSION_HOURS.min, SESSION_HOURS.max) * HOUR_MS);
      if (random.chance(MISSED_SESSION) || !inWindow(checkIn, window)) continue;
      const session = `${box.box}|${day}|${patient.shift}`;
      checks.push({ kind: "dialysis.check_in", at: checkIn, patient, session });
      if (checkOut <= window.endMs) checks.push({ kind: "dialysis.check_out", at: checkOut, patient, session });
    }
  }
  return checks;
}

/** A ward's two rounds a day, each visiting every occupied bed in bed order. */
export function wardRoundChecks(fleet: FleetPlan, box: PlannedBox, random: SeededRandom, window: TimeWindow): ScheduledCheck[] {
  const inpatients = fleet.inpatients.filter((patient) => patient.box === box.box);
  const dayOperators = staffOf(fleet, box.site, ["doctor", "nurse"]);
  const nightNurses = staffOf(fleet, box.site, ["nurse"]);
  const inspectors = staffOf(fleet, box.site, ["inspector"]);
  const checks: ScheduledCheck[] = [];
  for (const day of daysCovering(window)) {
    for (const shift of ["day", "night"] as const) {
      const hours = shift === "day" ? DAY_ROUND_START_HOURS : NIGHT_ROUND_START_HOURS;
      const startAt = Math.round(day + random.between(hours.min, hours.max) * HOUR_MS);
      // Insurance inspectors join some night rounds unannounced; otherwise the ward's own staff go.
      const operator = shift === "day" ? random.pick(dayOperators) : random.chance(0.25) ? random.pick(inspectors) : random.pick(nightNurses);
      const round: WardRound = { key: `${box.box}|${day}|${shift}`, shift, startAt, operator };
      let at = startAt;
      for (const patient of inpatients) {
        at += Math.round(random.between(SECONDS_PER_BED.min, SECONDS_PER_BED.max) * 1000);
        if (inWindow(at, window)) checks.push({ kind: "ward.bedside_check", at, patient, round });
      }
    }
  }
  return checks;
}
