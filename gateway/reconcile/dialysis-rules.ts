import { DIALYSIS_CATEGORIES, type ItemCategory } from "../billing/item-catalogue.js";
import type { Finding } from "./finding.js";
import type { BilledLine, PatientFacts } from "./reconcile-index.js";
import type { CheckEvent } from "./reconcile-input.js";
import { cst, finding, isPresence, minutes, type RuleContext } from "./rule-context.js";

/**
 * Dialysis rules D1-D6 and C1 for sessions. Each is a pure function of one patient's facts and the
 * shared context; all of them sort what they read, so their output does not depend on input order.
 */

type DialysisCategory = "haemodialysis" | "haemofiltration" | "haemodiafiltration";
const isDialysisCategory = (c: ItemCategory): c is DialysisCategory => DIALYSIS_CATEGORIES.includes(c);

function start(line: BilledLine): number {
  return line.item.serviceStart ?? 0;
}

/** The D1 window around a billed start in which a check-in counts for the session. */
function checkInWindow(line: BilledLine, ctx: RuleContext): [number, number] {
  return [start(line) - minutes(ctx.params.d1.beforeMinutes), start(line) + minutes(ctx.params.d1.afterMinutes)];
}

/** First index in `sorted` whose key is at least `min` (binary search; `sorted` ascends by key). */
function lowerBound<T>(sorted: readonly T[], min: number, key: (value: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const value = sorted[mid];
    if (value !== undefined && key(value) < min) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The patient's check-ins in a session's D1 window at its institution (check-ins ascend by time). */
function checkInsFor(line: BilledLine, patient: PatientFacts, ctx: RuleContext): CheckEvent[] {
  const [from, to] = checkInWindow(line, ctx);
  const out: CheckEvent[] = [];
  for (let i = lowerBound(patient.checkIns, from, (e) => e.at); i < patient.checkIns.length; i++) {
    const e = patient.checkIns[i];
    if (e === undefined || e.at > to) break;
    if (e.site === line.item.institution) out.push(e);
  }
  return out;
}

/** The billed sessions whose D1 window holds a check-in (sessions ascend by start): the inverse of checkInsFor. */
function sessionsFor(checkIn: CheckEvent, patient: PatientFacts, ctx: RuleContext): BilledLine[] {
  const earliest = checkIn.at - minutes(ctx.params.d1.afterMinutes);
  const latest = checkIn.at + minutes(ctx.params.d1.beforeMinutes);
  const out: BilledLine[] = [];
  for (let i = lowerBound(patient.sessions, earliest, start); i < patient.sessions.length; i++) {
    const line = patient.sessions[i];
    if (line === undefined || start(line) > latest) break;
    if (line.item.institution === checkIn.site) out.push(line);
  }
  return out;
}

const isImpersonation = (e: CheckEvent): boolean => e.outcome === "face_mismatch" || e.outcome === "suspected_spoof";

/**
 * D1 billed session without a verified check-in in the window; C1 instead when a dialysis box of the
 * institution was offline during the window (its check-in may be sitting in the outbox, or was never
 * possible: unverifiable, not absent). A mismatch/spoof check-in in the window is D2's to report.
 */
export const ruleD1C1 = (patient: PatientFacts, ctx: RuleContext): Finding[] =>
  patient.sessions.flatMap((line) => {
    const inWindow = checkInsFor(line, patient, ctx);
    if (inWindow.some((e) => isPresence(e, ctx)) || inWindow.some(isImpersonation)) return [];
    const [from, to] = checkInWindow(line, ctx);
    const offline = ctx.availability.offlineDuring(line.item.institution, "dialysis_station", from, to);
    const when = cst(start(line));
    if (offline.length > 0) {
      return [
        finding({
          rule: "C1", severity: "info", institution: line.item.institution, patient, causeIds: [line.causeId], lines: [line], events: inWindow, boxes: offline, at: start(line),
          zh: `${when} 计费的透析治疗无法核验：本机构透析终端 ${offline.join("、")} 在签到时段内离线（不视为患者缺席）。`,
          en: `Dialysis session billed for ${when} is unverifiable: dialysis box(es) ${offline.join(", ")} were offline during the check-in window (not read as an absent patient).`,
        }),
      ];
    }
    const others = inWindow.length === 0 ? "" : `；时段内仅有未通过核验的签到（${inWindow.map((e) => e.outcome).join("、")}）`;
    const othersEn = inWindow.length === 0 ? "" : `; only unverified check-ins in the window (${inWindow.map((e) => e.outcome).join(", ")})`;
    return [
      finding({
        rule: "D1", severity: "warning", institution: line.item.institution, patient, causeIds: [line.causeId], lines: [line], events: inWindow, at: start(line), alertKind: "billed_not_verified",
        zh: `${when} 计费的透析治疗在开始前 ${ctx.params.d1.beforeMinutes} 分钟至开始后 ${ctx.params.d1.afterMinutes} 分钟内没有该患者在本机构的核验签到${others}。`,
        en: `Dialysis session billed for ${when} has no verified check-in of this patient at this institution from ${ctx.params.d1.beforeMinutes} min before to ${ctx.params.d1.afterMinutes} min after its start${othersEn}.`,
      }),
    ];
  });

/**
 * D2 a check-in whose face did not match or failed liveness: reported at once, billed or not (its
 * cause is the event, so billing arriving later enriches the same finding rather than adding one).
 * When a verified check-in follows in the same session window the patient was there: not reported
 * here (the event's own alert at ingest still stands).
 */
export const ruleD2 = (patient: PatientFacts, ctx: RuleContext): Finding[] =>
  patient.checkIns.filter(isImpersonation).flatMap((event) => {
    const billed = sessionsFor(event, patient, ctx);
    if (billed.some((line) => checkInsFor(line, patient, ctx).some((e) => isPresence(e, ctx)))) return [];
    const spoof = event.outcome === "suspected_spoof";
    const what = spoof ? "活体检测未通过（疑似照片或屏幕）" : "人脸与持卡人登记人脸不符";
    const whatEn = spoof ? "failed liveness (photo or screen suspected)" : "face did not match the card holder's enrolled face";
    const billedZh = billed.length === 0 ? "尚无对应计费" : `对应计费 ${billed.map((l) => l.item.lineId).join("、")}`;
    const billedEn = billed.length === 0 ? "no billed session yet" : `billed as ${billed.map((l) => l.item.lineId).join(", ")}`;
    return [
      finding({
        rule: "D2", severity: "critical", institution: event.site, patient, causeIds: [event.id], lines: billed, events: [event], at: event.at,
        alertKind: spoof ? "spoof_suspected" : "impersonation_suspected",
        zh: `疑似冒名透析：${cst(event.at)} 在终端 ${event.box} 签到时${what}；${billedZh}。`,
        en: `Suspected impersonation: check-in at ${cst(event.at)} on box ${event.box} ${whatEn}; ${billedEn}.`,
      }),
    ];
  });

/** The check-out that closes a check-in: one naming it, else the next one of the patient there in time. */
function checkOutFor(checkIn: CheckEvent, patient: PatientFacts, ctx: RuleContext): CheckEvent | null {
  const limit = checkIn.at + minutes(ctx.params.d3.maxSessionMinutes);
  return (
    patient.checkOuts.find((o) => o.checkInId === checkIn.id) ??
    patient.checkOuts.find((o) => o.checkInId === null && o.site === checkIn.site && o.at > checkIn.at && o.at <= limit) ??
    null
  );
}

/**
 * D3 a verified check-in never checked out (once maxSessionMinutes have passed by asOf), or a session
 * shorter than the billed item's minimum. A box offline after the check-in makes a missing check-out
 * unverifiable: C1, not D3.
 */
export const ruleD3 = (patient: PatientFacts, ctx: RuleContext): Finding[] =>
  patient.checkIns
    .filter((e) => isPresence(e, ctx))
    .flatMap((checkIn) => {
      const billed = sessionsFor(checkIn, patient, ctx);
      const checkOut = checkOutFor(checkIn, patient, ctx);
      const when = cst(checkIn.at);
      if (checkOut === null) {
        const until = checkIn.at + minutes(ctx.params.d3.maxSessionMinutes);
        if (until > ctx.asOf) return [];
        const offline = ctx.availability.offlineDuring(checkIn.site, "dialysis_station", checkIn.at, until);
        if (offline.length > 0) {
          return [
            finding({
              rule: "C1", severity: "info", institution: checkIn.site, patient, causeIds: [checkIn.id], lines: billed, events: [checkIn], boxes: offline, at: checkIn.at,
              zh: `${when} 签到的透析无法核验签退：终端 ${offline.join("、")} 在治疗期间离线。`,
              en: `Check-out of the session checked in at ${when} is unverifiable: box(es) ${offline.join(", ")} went offline during the session.`,
            }),
          ];
        }
        return [
          finding({
            rule: "D3", severity: "warning", institution: checkIn.site, patient, causeIds: [checkIn.id], lines: billed, events: [checkIn], at: checkIn.at,
            zh: `${when} 核验签到的透析在 ${ctx.params.d3.maxSessionMinutes} 分钟内没有签退。`,
            en: `Dialysis checked in at ${when} has no check-out within ${ctx.params.d3.maxSessionMinutes} min.`,
          }),
        ];
      }
      const duration = Math.round((checkOut.at - checkIn.at) / 60_000);
      const minimumOf = (line: BilledLine): number => {
        const category = line.item.category;
        return isDialysisCategory(category) ? ctx.params.d3.minDurationMinutes[category] : 0;
      };
      const short = billed.filter((line) => duration < minimumOf(line));
      if (short.length === 0) return [];
      const minimum = Math.max(...short.map(minimumOf));
      return [
        finding({
          rule: "D3", severity: "warning", institution: checkIn.site, patient, causeIds: [checkIn.id], lines: short, events: [checkIn, checkOut], at: checkIn.at,
          zh: `${when} 的透析实际时长 ${duration} 分钟（签到至签退），短于该计费项目最短时长 ${minimum} 分钟。`,
          en: `Dialysis at ${when} lasted ${duration} min from check-in to check-out, shorter than the billed item's minimum of ${minimum} min.`,
        }),
      ];
    });

function end(line: BilledLine, ctx: RuleContext): number {
  return line.item.serviceEnd ?? start(line) + minutes(ctx.params.d4.assumedSessionMinutes);
}

/** D4 the same patient billed for overlapping sessions, at one institution or two. */
export const ruleD4 = (patient: PatientFacts, ctx: RuleContext): Finding[] => {
  const out: Finding[] = [];
  const sessions = patient.sessions;
  for (let i = 0; i < sessions.length; i++) {
    const a = sessions[i];
    if (a === undefined) continue;
    for (let j = i + 1; j < sessions.length; j++) {
      const b = sessions[j];
      if (b === undefined || start(b) >= end(a, ctx)) break;
      const across = a.item.institution !== b.item.institution;
      out.push(
        finding({
          rule: "D4", severity: across ? "critical" : "warning", institution: a.item.institution, patient, causeIds: [a.causeId, b.causeId], lines: [a, b], at: start(b), alertKind: "overlapping_session",
          zh: `同一患者的透析计费时间重叠：${a.causeId}（${cst(start(a))}–${cst(end(a, ctx))}）与 ${b.causeId}（${cst(start(b))}–${cst(end(b, ctx))}）${across ? "，分属两家机构" : ""}。`,
          en: `Overlapping dialysis sessions billed for one patient: ${a.causeId} (${cst(start(a))}–${cst(end(a, ctx))}) and ${b.causeId} (${cst(start(b))}–${cst(end(b, ctx))})${across ? ", at two institutions" : ""}.`,
        }),
      );
    }
  }
  return out;
};

/**
 * D5 more sessions of one item category in a rolling window than it allows. The cause is the session
 * that goes over the limit (counting it and those in the window before it), so each excess session
 * is reported once however the windows overlap.
 */
export const ruleD5 = (patient: PatientFacts, ctx: RuleContext): Finding[] => {
  // The window is counted in calendar days of China Standard Time (the session's service date), not in
  // milliseconds: a Monday/Wednesday/Friday patient whose next Monday session starts a few minutes
  // earlier is still on 3 sessions in 7 days.
  const windowDays = ctx.params.d5.windowDays;
  const out: Finding[] = [];
  for (const category of DIALYSIS_CATEGORIES) {
    if (!isDialysisCategory(category)) continue;
    const max = ctx.params.d5.maxSessions[category];
    const sessions = patient.sessions.filter((l) => l.item.category === category);
    let from = 0;
    let count = 0;
    for (const [k, line] of sessions.entries()) {
      count += line.net;
      while (from < k && dayNumber(sessions[from] ?? line) <= dayNumber(line) - windowDays) count -= sessions[from++]?.net ?? 0;
      if (count <= max) continue;
      const window = sessions.slice(from, k + 1);
      out.push(
        finding({
          rule: "D5", severity: "warning", institution: line.item.institution, patient, causeIds: [line.causeId], lines: window, at: start(line),
          zh: `${cst(start(line))} 的透析是该患者 ${ctx.params.d5.windowDays} 天内第 ${count} 次（${category}），超过上限 ${max} 次。`,
          en: `The session at ${cst(start(line))} is this patient's ${count}th ${category} session in ${ctx.params.d5.windowDays} days, over the limit of ${max}.`,
        }),
      );
    }
  }
  return out;
};

/** Days since the epoch of a line's service date (CST calendar date). */
function dayNumber(line: BilledLine): number {
  return Math.round(Date.parse(`${line.item.serviceDate}T00:00:00Z`) / 86_400_000);
}

/** D6 outpatient dialysis billed by one institution on a day the patient is an inpatient at another. */
export const ruleD6 = (patient: PatientFacts, ctx: RuleContext): Finding[] =>
  patient.sessions
    .filter((l) => l.item.visitType === "outpatient")
    .flatMap((line) => {
      const date = line.item.serviceDate;
      const stays = patient.stays.filter((stay) => {
        if (stay.institution === line.item.institution) return false;
        const lastBilled = stay.bedDays[stay.bedDays.length - 1]?.item.serviceDate ?? stay.admissionDate;
        const exclusive = ctx.params.d6.excludeAdmissionAndDischargeDays;
        const afterAdmission = exclusive ? date > stay.admissionDate : date >= stay.admissionDate;
        const beforeDischarge = stay.dischargeDate === null ? date <= lastBilled : exclusive ? date < stay.dischargeDate : date <= stay.dischargeDate;
        return afterAdmission && beforeDischarge;
      });
      if (stays.length === 0) return [];
      const sameDay = stays.flatMap((s) => s.bedDays.filter((b) => b.item.serviceDate === date));
      const where = stays.map((s) => `${s.institution}（${s.admissionDate} 入院）`).join("、");
      const whereEn = stays.map((s) => `${s.institution} (admitted ${s.admissionDate})`).join(", ");
      return [
        finding({
          rule: "D6", severity: "critical", institution: line.item.institution, patient, causeIds: [line.causeId], lines: [line, ...sameDay], at: start(line),
          zh: `${cst(start(line))} 按门诊计费的透析，患者当日正在 ${where} 住院。`,
          en: `Outpatient dialysis billed for ${cst(start(line))} while the patient was an inpatient at ${whereEn}.`,
        }),
      ];
    });
