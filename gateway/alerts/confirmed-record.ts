import { z } from "zod";
import { chinaDateOf, CST_OFFSET_MS } from "../billing/china-time.js";
import { ALERT_STATES, type AlertCaseHistory, type AlertTransition, type OccurredRange, type WatchListEntry } from "../store/alert-case-records.js";
import { alertCaseView } from "./alert-view.js";
import { csvDocument } from "./csv-export.js";

/**
 * After treatment (issue 7 §5): one institution's record of confirmed cases. The credit and
 * blacklist consequences the supervisors' documents describe are decided by people; this gives them
 * the counted, evidenced record: totals by rule, kind and CST calendar month (of when the fact
 * occurred), the patients (pseudonymous refs) with how many confirmed cases each, repeat offenders
 * first, and one row per case with who confirmed it, when and why, and where its signed evidence is.
 *
 * A case counts once a supervisor confirmed it and for good: closing it later keeps the verdict
 * (as rule precision does); a dismissed case never counts.
 */
export const ConfirmedCaseRow = z.object({
  alertId: z.string(),
  rule: z.string(),
  kind: z.string(),
  severity: z.enum(["info", "warning", "critical"]),
  patientRef: z.string().nullable().describe("Pseudonymous: the keyed hash of the ID number, never the number."),
  patientMasked: z.string().nullable().describe("The ID number as the alert shows it, masked (1101**********1234)."),
  patientNameMasked: z.string().nullable(),
  occurredAt: z.string(),
  month: z.string().describe("CST calendar month of occurredAt, YYYY-MM."),
  confirmedAt: z.string(),
  confirmedBy: z.string(),
  confirmationReason: z.string().nullable(),
  confirmationNote: z.string().nullable(),
  state: z.enum(ALERT_STATES).describe("Now: confirmed, or closed after it was confirmed."),
  onWatchList: z.boolean().describe("The card (patientRef) is on this institution's watch list."),
  evidencePath: z.string().describe("GET this for the signed evidence bundle."),
});
export type ConfirmedCaseRow = z.infer<typeof ConfirmedCaseRow>;

export const ConfirmedRecordView = z.object({
  site: z.string(),
  from: z.string().nullable().describe("Cases whose fact occurred at or after this; null: since the first."),
  to: z.string().nullable().describe("... and before this; null: until now."),
  totals: z.object({ cases: z.number(), patients: z.number(), repeatPatients: z.number().describe("Patients with more than one confirmed case."), onWatchList: z.number().describe("Cases whose card is on the watch list.") }),
  byRule: z.array(z.object({ rule: z.string(), cases: z.number() })),
  byKind: z.array(z.object({ kind: z.string(), cases: z.number() })),
  byMonth: z.array(z.object({ month: z.string(), cases: z.number(), byRule: z.record(z.string(), z.number()) })),
  patients: z.array(
    z.object({ patientRef: z.string(), patientMasked: z.string().nullable(), patientNameMasked: z.string().nullable(), cases: z.number(), rules: z.array(z.string()), firstOccurredAt: z.string(), lastOccurredAt: z.string() }),
  ),
  cases: z.array(ConfirmedCaseRow),
});
export type ConfirmedRecordView = z.infer<typeof ConfirmedRecordView>;

export interface ConfirmedRecordInput {
  readonly site: string;
  /** Cases with their transitions (any: those of other institutions, outside the range or never confirmed are left out). */
  readonly histories: readonly AlertCaseHistory[];
  /** The institution's watch list. */
  readonly watchList: readonly WatchListEntry[];
  readonly range?: OccurredRange;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The CST calendar month of an instant, YYYY-MM. */
export function chinaMonthOf(at: number): string {
  return chinaDateOf(at).slice(0, 7);
}

/** The confirming transition, when the case's verdict is "confirmed" (a case has at most one verdict; the last one decides). */
export function confirmationOf(transitions: readonly AlertTransition[]): AlertTransition | undefined {
  const verdict = transitions.filter((t) => t.to === "confirmed" || t.to === "dismissed").at(-1);
  return verdict?.to === "confirmed" ? verdict : undefined;
}

export function evidencePath(alertId: string): string {
  return `/api/v1/alerts/${encodeURIComponent(alertId)}/evidence`;
}

function caseRow(history: AlertCaseHistory, confirmation: AlertTransition, watched: ReadonlySet<string>): ConfirmedCaseRow {
  // The alert as the API shows it everywhere else: the same masked ID number and name.
  const view = alertCaseView(history.alert);
  return {
    alertId: view.id,
    rule: view.rule,
    kind: view.kind,
    severity: view.severity,
    patientRef: view.patientRef,
    patientMasked: view.patientMasked,
    patientNameMasked: view.patientNameMasked,
    occurredAt: view.occurredAt,
    month: chinaMonthOf(history.alert.occurredAt),
    confirmedAt: iso(confirmation.at),
    confirmedBy: confirmation.actor,
    confirmationReason: confirmation.reason,
    confirmationNote: confirmation.note,
    state: view.state,
    onWatchList: view.patientRef !== null && watched.has(view.patientRef),
    evidencePath: evidencePath(view.id),
  };
}

/** Counts by key, most first, then by key. */
function countBy(rows: readonly ConfirmedCaseRow[], keyOf: (row: ConfirmedCaseRow) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(keyOf(row), (counts.get(keyOf(row)) ?? 0) + 1);
  return [...counts.entries()].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0));
}

function byMonth(rows: readonly ConfirmedCaseRow[]): ConfirmedRecordView["byMonth"] {
  const months = new Map<string, { cases: number; byRule: Record<string, number> }>();
  for (const row of rows) {
    const month = months.get(row.month) ?? { cases: 0, byRule: {} };
    month.cases++;
    month.byRule[row.rule] = (month.byRule[row.rule] ?? 0) + 1;
    months.set(row.month, month);
  }
  return [...months.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([month, m]) => ({ month, ...m }));
}

/** Patients with their confirmed cases, repeat offenders first (most cases, then the most recent). */
function patients(rows: readonly ConfirmedCaseRow[]): ConfirmedRecordView["patients"] {
  const byRef = new Map<string, ConfirmedCaseRow[]>();
  for (const row of rows) if (row.patientRef !== null) byRef.set(row.patientRef, [...(byRef.get(row.patientRef) ?? []), row]);
  return [...byRef.entries()]
    .map(([patientRef, own]) => ({
      patientRef,
      // Rows are oldest first: the latest alert shows the patient as last seen.
      patientMasked: own.map((r) => r.patientMasked).filter((m) => m !== null).at(-1) ?? null,
      patientNameMasked: own.map((r) => r.patientNameMasked).filter((m) => m !== null).at(-1) ?? null,
      cases: own.length,
      rules: [...new Set(own.map((r) => r.rule))].sort(),
      firstOccurredAt: own[0]?.occurredAt ?? "",
      lastOccurredAt: own.at(-1)?.occurredAt ?? "",
    }))
    .sort((a, b) => b.cases - a.cases || (a.lastOccurredAt < b.lastOccurredAt ? 1 : a.lastOccurredAt > b.lastOccurredAt ? -1 : 0) || (a.patientRef < b.patientRef ? -1 : 1));
}

export function confirmedRecord(input: ConfirmedRecordInput): ConfirmedRecordView {
  const { site, range = {} } = input;
  const watched = new Set(input.watchList.filter((e) => e.site === site).map((e) => e.cardRef));
  const rows = input.histories
    .filter(({ alert }) => alert.site === site && (range.from === undefined || alert.occurredAt >= range.from) && (range.to === undefined || alert.occurredAt < range.to))
    .flatMap((history) => {
      const confirmation = confirmationOf(history.transitions);
      return confirmation === undefined ? [] : [{ history, confirmation }];
    })
    .sort((a, b) => a.history.alert.occurredAt - b.history.alert.occurredAt || (a.history.alert.id < b.history.alert.id ? -1 : 1))
    .map(({ history, confirmation }) => caseRow(history, confirmation, watched));
  const people = patients(rows);
  return {
    site,
    from: range.from === undefined ? null : iso(range.from),
    to: range.to === undefined ? null : iso(range.to),
    totals: { cases: rows.length, patients: people.length, repeatPatients: people.filter((p) => p.cases > 1).length, onWatchList: rows.filter((r) => r.onWatchList).length },
    byRule: countBy(rows, (r) => r.rule).map(([rule, cases]) => ({ rule, cases })),
    byKind: countBy(rows, (r) => r.kind).map(([kind, cases]) => ({ kind, cases })),
    byMonth: byMonth(rows),
    patients: people,
    cases: rows,
  };
}

/** An instant as CST wall-clock time, `YYYY-MM-DD HH:mm:ss` (what a supervisor's spreadsheet shows). */
function cstTime(isoTime: string): string {
  return new Date(Date.parse(isoTime) + CST_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

export const CONFIRMED_CASES_CSV_HEADER = [
  "alert_id", "rule", "kind", "severity", "patient_ref", "patient_masked", "patient_name_masked", "occurred_at_cst", "month_cst",
  "confirmed_at_cst", "confirmed_by", "confirmation_reason", "confirmation_note", "state", "on_watch_list", "evidence",
] as const;

/** The record's case rows as a CSV file for Excel (csv-export.ts: BOM, formula cells neutralised). */
export function confirmedCasesCsv(record: ConfirmedRecordView): string {
  return csvDocument(
    CONFIRMED_CASES_CSV_HEADER,
    record.cases.map((c) => [
      c.alertId, c.rule, c.kind, c.severity, c.patientRef, c.patientMasked, c.patientNameMasked, cstTime(c.occurredAt), c.month,
      cstTime(c.confirmedAt), c.confirmedBy, c.confirmationReason, c.confirmationNote, c.state, c.onWatchList ? "yes" : "no", c.evidencePath,
    ]),
  );
}
