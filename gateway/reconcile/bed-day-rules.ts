import { addDays, chinaDateOf, daysBetween } from "../billing/china-time.js";
import type { Finding } from "./finding.js";
import { bedKey, type BilledLine, type PatientFacts, type Stay } from "./reconcile-index.js";
import type { CheckEvent } from "./reconcile-input.js";
import { bedDayWindow, cst, finding, isPresence, type RuleContext } from "./rule-context.js";

/**
 * Inpatient bed-day rules B1-B3. A bed-day D is the window from D at bedDay.startHour (CST) to the
 * next day at that hour, so a night round after midnight counts for the night it belongs to.
 */

/** Bedside checks of this patient, or of their billed bed when no card was read, inside a bed-day. */
function checksOn(line: BilledLine, patient: PatientFacts, ctx: RuleContext): CheckEvent[] {
  const [from, to] = bedDayWindow(line.item.serviceDate, ctx);
  const inside = (e: CheckEvent): boolean => e.site === line.item.institution && e.at >= from && e.at < to;
  const own = patient.bedsideChecks.filter(inside);
  const { ward, bed } = line.item;
  const atBed = ward === null || bed === null ? [] : (ctx.index.unidentifiedBedsideChecks.get(bedKey(line.item.institution, ward, bed)) ?? []).filter(inside);
  return [...own, ...atBed].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
}

/**
 * B1 a bed-day billed for a day on which a bedside check found the patient absent. A night-round
 * absence is critical; a day-round absence is a warning, and only informational when a verified
 * check later the same bed-day found the patient back.
 */
export const ruleB1 = (patient: PatientFacts, ctx: RuleContext): Finding[] =>
  patient.stays.flatMap((stay) =>
    stay.bedDays.flatMap((line) => {
      const checks = checksOn(line, patient, ctx);
      const absences = checks.filter((e) => e.outcome === "absent");
      if (absences.length === 0) return [];
      const night = absences.some((e) => e.shift === "night");
      const lastAbsence = absences[absences.length - 1]?.at ?? 0;
      const backLater = checks.some((e) => isPresence(e, ctx) && e.at > lastAbsence);
      const severity = night ? "critical" : backLater ? "info" : "warning";
      const times = absences.map((e) => `${cst(e.at)}${e.shift === "night" ? "（夜查）" : "（日查）"}`).join("、");
      const timesEn = absences.map((e) => `${cst(e.at)} (${e.shift ?? "?"} round)`).join(", ");
      return [
        finding({
          rule: "B1", severity, institution: line.item.institution, patient, causeIds: [line.causeId], lines: [line], events: absences, at: absences[0]?.at ?? 0, alertKind: "absent_inpatient",
          zh: `${line.item.serviceDate} 计费床日，床旁核查发现患者不在床：${times}${backLater ? "；其后核验在床" : ""}。`,
          en: `Bed-day ${line.item.serviceDate} billed while bedside checks found the patient absent: ${timesEn}${backLater ? "; verified back in bed later" : ""}.`,
        }),
      ];
    }),
  );

/**
 * B2 more than K consecutive billed days of a stay without any bedside check. A day on which a ward
 * round box of the institution was offline neither counts towards K nor breaks the run: the missing
 * check may be the box's, not the ward's.
 */
export const ruleB2 = (patient: PatientFacts, ctx: RuleContext): Finding[] => {
  const k = ctx.params.b2.maxDaysWithoutCheck;
  return patient.stays.flatMap((stay) => {
    const out: Finding[] = [];
    let run: BilledLine[] = [];
    let previousDate: string | null = null;
    const close = (): void => {
      if (run.length > k) out.push(b2Finding(stay, run, patient, ctx));
      run = [];
    };
    for (const line of distinctDays(stay)) {
      if (previousDate !== null && daysBetween(previousDate, line.item.serviceDate) > 1) close();
      previousDate = line.item.serviceDate;
      if (checksOn(line, patient, ctx).length > 0) {
        close();
        continue;
      }
      const [from, to] = bedDayWindow(line.item.serviceDate, ctx);
      if (ctx.availability.offlineDuring(stay.institution, "ward_round", from, to).length > 0) continue;
      run.push(line);
    }
    close();
    return out;
  });
};

function distinctDays(stay: Stay): BilledLine[] {
  const seen = new Set<string>();
  return stay.bedDays.filter((l) => !seen.has(l.item.serviceDate) && seen.add(l.item.serviceDate));
}

function b2Finding(stay: Stay, run: readonly BilledLine[], patient: PatientFacts, ctx: RuleContext): Finding {
  const first = run[0]?.item.serviceDate ?? "";
  const last = run[run.length - 1]?.item.serviceDate ?? "";
  return finding({
    rule: "B2", severity: "warning", institution: stay.institution, patient, causeIds: [stay.key, `from/${first}`], lines: run, at: bedDayWindow(first, ctx)[0],
    zh: `住院（${stay.admissionDate} 入院）${first} 至 ${last} 连续 ${run.length} 个计费床日没有任何床旁核查，超过 ${ctx.params.b2.maxDaysWithoutCheck} 天。`,
    en: `Stay admitted ${stay.admissionDate}: ${run.length} consecutive billed bed-days from ${first} to ${last} without any bedside check, more than ${ctx.params.b2.maxDaysWithoutCheck}.`,
  });
}

/**
 * B3 more bed-days billed than days between admission and discharge (admission day counted,
 * discharge day not, a same-day stay counting one); an open stay is counted up to asOf.
 */
export const ruleB3 = (patient: PatientFacts, ctx: RuleContext): Finding[] =>
  patient.stays.flatMap((stay) => {
    const until = stay.dischargeDate ?? addDays(chinaDateOf(ctx.asOf), 1);
    const allowed = Math.max(1, daysBetween(stay.admissionDate, until));
    const billed = stay.bedDays.reduce((sum, l) => sum + l.net, 0);
    if (billed <= allowed) return [];
    const discharge = stay.dischargeDate;
    return [
      finding({
        rule: "B3", severity: "warning", institution: stay.institution, patient, causeIds: [stay.key], lines: stay.bedDays, at: bedDayWindow(stay.admissionDate, ctx)[0],
        zh: `住院 ${stay.admissionDate} 入院${discharge === null ? "（未出院）" : `、${discharge} 出院`}，最多 ${allowed} 个床日，却计费 ${billed} 个床日。`,
        en: `Stay admitted ${stay.admissionDate}${discharge === null ? " (not discharged)" : `, discharged ${discharge}`} allows at most ${allowed} bed-days but ${billed} were billed.`,
      }),
    ];
  });
