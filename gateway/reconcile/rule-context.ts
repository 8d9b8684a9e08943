import { chinaDayStart } from "../billing/china-time.js";
import type { BoxAvailability } from "./box-availability.js";
import { findingId, type Finding, type RuleId, type Severity } from "./finding.js";
import type { BilledLine, PatientFacts, ReconcileIndex } from "./reconcile-index.js";
import type { ReconcileParams } from "./reconcile-params.js";
import type { CheckEvent } from "./reconcile-input.js";
import type { AlertKind } from "../../protocol/index.js";

/** What every rule may read besides one patient's facts. */
export interface RuleContext {
  readonly params: ReconcileParams;
  readonly availability: BoxAvailability;
  readonly index: ReconcileIndex;
  /** Evaluation time: what has not happened by now (a check-out, a discharge) is not yet missing. */
  readonly asOf: number;
}

export type Rule = (patient: PatientFacts, ctx: RuleContext) => Finding[];

const MINUTE = 60_000;
export const minutes = (n: number): number => n * MINUTE;

/** `2026-11-24 07:30` in China Standard Time. */
export function cst(at: number): string {
  return new Date(at + 8 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");
}

export function isPresence(event: CheckEvent, ctx: RuleContext): boolean {
  return (ctx.params.presenceOutcomes as readonly string[]).includes(event.outcome);
}

/** The window [start, end) of bed-day `date`: from its CST start hour to the next day's. */
export function bedDayWindow(date: string, ctx: RuleContext): [number, number] {
  const start = chinaDayStart(date, ctx.params.bedDay.startHour);
  return [start, start + 86_400_000];
}

export interface FindingDraft {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly institution: string;
  readonly patient: PatientFacts | null;
  readonly causeIds: readonly string[];
  readonly lines?: readonly BilledLine[];
  readonly events?: readonly CheckEvent[];
  readonly boxes?: readonly string[];
  readonly at: number;
  readonly alertKind?: AlertKind | null;
  readonly zh: string;
  readonly en: string;
}

const uniqueSorted = (values: readonly string[]): string[] => [...new Set(values)].sort();

export function finding(d: FindingDraft): Finding {
  const events = d.events ?? [];
  return {
    id: findingId(d.rule, d.causeIds),
    causeIds: uniqueSorted(d.causeIds),
    rule: d.rule,
    severity: d.severity,
    institution: d.institution,
    patientRef: d.patient?.ref ?? null,
    patientNameMasked: d.patient?.nameMasked ?? null,
    lineIds: uniqueSorted((d.lines ?? []).map((l) => l.causeId)),
    eventIds: uniqueSorted(events.map((e) => e.id)),
    boxes: uniqueSorted([...(d.boxes ?? []), ...events.map((e) => e.box)]),
    at: d.at,
    alertKind: d.alertKind ?? null,
    explanation: { zh: d.zh, en: d.en },
  };
}
