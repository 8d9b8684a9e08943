import { EventMessage, type Outcome } from "../../protocol/index.js";
import { chinaTimestamp, DAY_MS, HOUR_MS, MINUTE_MS } from "../fleet/china-time.js";
import type { DialysisPatient, FleetPlan } from "../fleet/fleet-plan.js";
import { SeededRandom } from "../fleet/seeded-random.js";
import type { PlannedMessage } from "../fleet/traffic-plan.js";

/**
 * The institutions' billing for a simulated period, with planted fraud and its ground truth: what a
 * correct reconciliation must report, and nothing else. Every dialysis session the traffic plan
 * checked in is billed as a hospital would bill it; then, for a seeded share of patients, fraud is
 * planted:
 * - phantom session: a session billed on a day the patient did not come (no check-in) → D1, and D5
 *   where it makes more than three sessions in a rolling week;
 * - double billing: a real session billed again by another institution at the same time → D4 (the
 *   pair), D1 (no check-in there), D5 where it overflows the week.
 * The traffic's own outcomes supply the rest of the truth: a check-in whose face did not match or
 * failed liveness → D2 (billed or not); a check-in that did not verify the patient → D1 for its
 * session; a verified check-in without a check-out, or a session shorter than 180 minutes → D3.
 * The truth is computed from these definitions (issue 7's rule catalogue), never by running the
 * gateway's rule engine.
 */
export const BILLING_HEADER =
  "institution_code,settlement_id,line_id,patient_id_type,patient_id_number,patient_name,visit_type,item_code,item_name,service_start,service_end,quantity,unit,unit_price,amount,department";

export type PlantedRule = "D1" | "D2" | "D3" | "D4" | "D5";

/** One finding a correct reconciliation must report, named by its cause: billed lines as `institution/lineId`, or event ids. */
export interface ExpectedFinding {
  readonly rule: PlantedRule;
  readonly causes: readonly string[];
  readonly why: "phantom_session" | "double_billing" | "impersonation" | "unverified_check_in" | "missing_check_out" | "short_session" | "too_many_sessions";
}

export interface BillingPlan {
  /** CSV rows in billing-format.md's columns, header first. */
  readonly csvLines: readonly string[];
  readonly expected: readonly ExpectedFinding[];
  readonly counts: { readonly sessions: number; readonly billedLines: number; readonly phantoms: number; readonly doubleBilled: number };
}

export interface BillingPlanOptions {
  /** Share of dialysis patients given one phantom session. */
  readonly phantomShare?: number;
  /** Share of dialysis patients with one session billed again by another institution. */
  readonly doubleBillingShare?: number;
  /** Evaluation time: a check-in without check-out counts as missing only when 480 minutes have passed by then. */
  readonly asOf: number;
}

const PRESENCE: readonly Outcome[] = ["verified", "attested"];
const IMPERSONATION: readonly Outcome[] = ["face_mismatch", "suspected_spoof"];
const MAX_SESSION_MS = 480 * MINUTE_MS;
const MIN_SESSION_MS = 180 * MINUTE_MS;
const MAX_SESSIONS_PER_WEEK = 3;

interface Session {
  readonly patient: DialysisPatient;
  readonly site: string;
  readonly checkInId: string;
  readonly outcome: Outcome;
  readonly checkInAt: number;
  checkOutAt: number | null;
}

interface Line {
  readonly site: string;
  readonly lineId: string;
  readonly patient: DialysisPatient;
  readonly start: number;
  readonly end: number;
  readonly planted: boolean;
}

/** The real time of a check: the box's clock reading corrected by its own measured drift, as the gateway reads it. */
function realTime(event: EventMessage): number {
  return Date.parse(event.clock.at) - (event.clock.driftMs ?? 0);
}

function sessionsOf(fleet: FleetPlan, messages: readonly PlannedMessage[]): Session[] {
  const byRef = new Map(fleet.dialysisPatients.map((p) => [p.ref, p]));
  const byCheckIn = new Map<string, Session>();
  for (const message of messages) {
    if (message.truth.type !== "valid" || !message.truth.kind.startsWith("dialysis.")) continue;
    const event = EventMessage.parse(JSON.parse(message.payload.toString("utf8")));
    if (event.kind === "dialysis.check_in") {
      const patient = event.subject.ref === null ? undefined : byRef.get(event.subject.ref);
      if (patient === undefined) continue; // a card the plan does not know (staff, a stranger): nobody bills it
      byCheckIn.set(event.id, { patient, site: event.site, checkInId: event.id, outcome: event.verification.outcome, checkInAt: realTime(event), checkOutAt: null });
    } else if (event.kind === "dialysis.check_out" && event.checkInId !== null) {
      const session = byCheckIn.get(event.checkInId);
      if (session !== undefined) session.checkOutAt = realTime(event);
    }
  }
  return [...byCheckIn.values()].sort((a, b) => a.checkInAt - b.checkInAt || (a.checkInId < b.checkInId ? -1 : 1));
}

const cst = (ms: number): string => chinaTimestamp(ms).slice(0, 16).replace("T", " ");
const chinaDay = (ms: number): number => Math.floor((ms + 8 * HOUR_MS) / DAY_MS);
const roundToMinute = (ms: number): number => Math.round(ms / MINUTE_MS) * MINUTE_MS;

/** billing-format.md's ID type codes for the card types the plan gives people. */
const ID_TYPE_CODES: Readonly<Record<string, string>> = {
  resident_id: "01",
  foreign_permanent_resident: "08",
  foreign_permanent_resident_2023: "08",
  hk_mo_tw_residence_permit: "16",
};

function csvLine(line: Line, settlement: number): string {
  const p = line.patient;
  return [line.site, `S${settlement}`, line.lineId, ID_TYPE_CODES[p.cardType] ?? "01", p.idNumber, p.name, "outpatient", "311000006", "血液透析", cst(line.start), cst(line.end), "1", "次", "400.00", "400.00", "肾内科"].join(",");
}

export function planBilling(fleet: FleetPlan, messages: readonly PlannedMessage[], options: BillingPlanOptions): BillingPlan {
  const random = SeededRandom.fromSeed(`${fleet.seed}|billing`);
  const sessions = sessionsOf(fleet, messages);
  const expected: ExpectedFinding[] = [];
  const lines: Line[] = [];
  let counter = 0;
  const nextLineId = (): string => `L${String(++counter).padStart(8, "0")}`;
  const cause = (line: Line): string => `${line.site}/${line.lineId}`;
  const lineOfSession = new Map<Session, Line>();

  for (const session of sessions) {
    // Billed as the hospital records it: the start a few minutes after the check-in, the end at the check-out.
    const start = roundToMinute(session.checkInAt + 5 * MINUTE_MS);
    const end = session.checkOutAt === null ? start + 4 * HOUR_MS : Math.max(start, roundToMinute(session.checkOutAt));
    const line: Line = { site: session.site, lineId: nextLineId(), patient: session.patient, start, end, planted: false };
    lines.push(line);
    lineOfSession.set(session, line);
    if (IMPERSONATION.includes(session.outcome)) expected.push({ rule: "D2", causes: [session.checkInId], why: "impersonation" });
    else if (!PRESENCE.includes(session.outcome)) expected.push({ rule: "D1", causes: [cause(line)], why: "unverified_check_in" });
    else if (session.checkOutAt === null || session.checkOutAt > session.checkInAt + MAX_SESSION_MS) {
      if (session.checkInAt + MAX_SESSION_MS <= options.asOf) expected.push({ rule: "D3", causes: [session.checkInId], why: "missing_check_out" });
    } else if (session.checkOutAt - session.checkInAt < MIN_SESSION_MS) expected.push({ rule: "D3", causes: [session.checkInId], why: "short_session" });
  }

  const sites = [...new Set(fleet.sites.map((s) => s.site))].sort();
  const byPatient = new Map<string, Session[]>();
  for (const session of sessions) byPatient.set(session.patient.personId, [...(byPatient.get(session.patient.personId) ?? []), session]);
  let phantoms = 0;
  let doubleBilled = 0;
  for (const patient of fleet.dialysisPatients) {
    const own = byPatient.get(patient.personId) ?? [];
    const verified = own.filter((s) => PRESENCE.includes(s.outcome) && s.checkOutAt !== null);
    if (own.length > 0 && random.chance(options.phantomShare ?? 0.05)) {
      // The day after a real session, same hours: no check-in of this patient exists then.
      const base = random.pick(own);
      const start = roundToMinute(base.checkInAt + DAY_MS + 5 * MINUTE_MS);
      const clash = own.some((s) => Math.abs(s.checkInAt - (start - 5 * MINUTE_MS)) < 2 * HOUR_MS);
      if (!clash) {
        const line: Line = { site: base.site, lineId: nextLineId(), patient, start, end: start + 4 * HOUR_MS, planted: true };
        lines.push(line);
        expected.push({ rule: "D1", causes: [cause(line)], why: "phantom_session" });
        phantoms += 1;
      }
    }
    if (verified.length > 0 && sites.length > 1 && random.chance(options.doubleBillingShare ?? 0.03)) {
      const base = random.pick(verified);
      const real = lineOfSession.get(base);
      const other = random.pick(sites.filter((s) => s !== base.site));
      if (real !== undefined) {
        const line: Line = { site: other, lineId: nextLineId(), patient, start: real.start + 30 * MINUTE_MS, end: real.end, planted: true };
        lines.push(line);
        expected.push({ rule: "D4", causes: [cause(real), cause(line)], why: "double_billing" });
        expected.push({ rule: "D1", causes: [cause(line)], why: "double_billing" });
        doubleBilled += 1;
      }
    }
  }

  // D5 by its definition: a session that makes more than three in a rolling 7 days, counted in CST
  // calendar days (the session's date and the six before it), so Monday, Wednesday, Friday and the
  // next Monday are three in any 7 days whatever time of day each started.
  const linesByPatient = new Map<string, Line[]>();
  for (const line of lines) linesByPatient.set(line.patient.personId, [...(linesByPatient.get(line.patient.personId) ?? []), line]);
  for (const own of linesByPatient.values()) {
    own.sort((a, b) => a.start - b.start || (cause(a) < cause(b) ? -1 : 1));
    own.forEach((line, k) => {
      const inWeek = own.slice(0, k + 1).filter((l) => chinaDay(l.start) > chinaDay(line.start) - 7);
      if (inWeek.length > MAX_SESSIONS_PER_WEEK) expected.push({ rule: "D5", causes: [cause(line)], why: "too_many_sessions" });
    });
  }

  const order = [...lines].sort((a, b) => a.start - b.start || (a.lineId < b.lineId ? -1 : 1));
  return {
    csvLines: [BILLING_HEADER, ...order.map((line, i) => csvLine(line, Math.floor(i / 4) + 1))],
    expected,
    counts: { sessions: sessions.length, billedLines: lines.length, phantoms, doubleBilled },
  };
}
