import type { BilledItem } from "../billing/billed-item.js";
import { isDialysis } from "../billing/item-catalogue.js";
import type { CheckEvent } from "./reconcile-input.js";

/**
 * The facts the rules read, grouped by patient (refs are deployment-wide, so one patient's lines and
 * events at every institution sit together: D4 and D6 look across institutions). Each rule is a
 * function of one PatientFacts plus shared lookups, which is what lets rules later re-run for just the
 * patient a late row or event touched. Building the index also makes the result independent of input
 * order: duplicates are dropped and everything is sorted canonically.
 */
export interface BilledLine {
  readonly item: BilledItem;
  /** `institution/lineId`: line ids are unique per institution only. */
  readonly causeId: string;
  /** Quantity after refunds and corrections that reverse this line. */
  readonly net: number;
}

export interface Stay {
  /** `stay/institution/admissionDate`. */
  readonly key: string;
  readonly institution: string;
  readonly admissionDate: string;
  readonly dischargeDate: string | null;
  /** Bed-day lines with net > 0, by service date. */
  readonly bedDays: readonly BilledLine[];
}

export interface PatientFacts {
  readonly ref: string;
  readonly nameMasked: string | null;
  /** Dialysis lines with net > 0 and a start, by start. */
  readonly sessions: readonly BilledLine[];
  readonly stays: readonly Stay[];
  /** This patient's events by kind, by time. */
  readonly checkIns: readonly CheckEvent[];
  readonly checkOuts: readonly CheckEvent[];
  readonly bedsideChecks: readonly CheckEvent[];
}

export interface ReconcileIndex {
  readonly patients: readonly PatientFacts[];
  /** Bedside checks without a person (bed empty, card unreadable), by `site/ward/bed`. */
  readonly unidentifiedBedsideChecks: ReadonlyMap<string, readonly CheckEvent[]>;
  /** Latest instant in the input: the default evaluation time. */
  readonly latest: number;
}

export function bedKey(site: string, ward: string, bed: string): string {
  return `${site}/${ward}/${bed}`;
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function byTime(a: CheckEvent, b: CheckEvent): number {
  return a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Keeps one of each key: the first in (key, JSON body) order, so which copy of a duplicate survives
 * does not depend on input order. Bodies are serialised only for keys that occur more than once.
 */
function firstOfEachKey<T>(values: readonly T[], keyOf: (value: T) => string): T[] {
  const byKey = new Map<string, T[]>();
  for (const value of values) {
    const key = keyOf(value);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [value]);
    else list.push(value);
  }
  const out: T[] = [];
  for (const key of [...byKey.keys()].sort(compareText)) {
    const copies = byKey.get(key) ?? [];
    const first = copies.length === 1 ? copies[0] : copies.map((v) => ({ v, body: JSON.stringify(v) })).sort((a, b) => compareText(a.body, b.body))[0]?.v;
    if (first !== undefined) out.push(first);
  }
  return out;
}

function uniqueItems(items: readonly BilledItem[]): BilledItem[] {
  return firstOfEachKey(items, (item) => `${item.institution}/${item.lineId}`);
}

function uniqueEvents(events: readonly CheckEvent[]): CheckEvent[] {
  return firstOfEachKey(events, (event) => event.id);
}

/**
 * Refunds (negative quantity) net against the line they reverse: the one named by reversesLineId, or
 * else the first line of the same institution, patient, item and start (or date). A line whose net
 * is not positive is no longer billed (billing-format.md, refunds and corrections).
 */
function netLines(items: readonly BilledItem[]): BilledLine[] {
  const positives = items.filter((i) => i.quantity > 0);
  const net = new Map<BilledItem, number>(positives.map((i) => [i, i.quantity]));
  const byLine = new Map(positives.map((i) => [`${i.institution}/${i.lineId}`, i]));
  for (const refund of items.filter((i) => i.quantity < 0)) {
    const target =
      (refund.reversesLineId === null ? undefined : byLine.get(`${refund.institution}/${refund.reversesLineId}`)) ??
      positives.find(
        (i) =>
          i.institution === refund.institution &&
          i.patientRef === refund.patientRef &&
          i.itemCode === refund.itemCode &&
          (i.serviceStart ?? i.serviceDate) === (refund.serviceStart ?? refund.serviceDate) &&
          (net.get(i) ?? 0) > 0,
      );
    if (target !== undefined) net.set(target, (net.get(target) ?? 0) + refund.quantity);
  }
  return positives.map((item) => ({ item, causeId: `${item.institution}/${item.lineId}`, net: net.get(item) ?? 0 })).filter((l) => l.net > 0);
}

function staysOf(lines: readonly BilledLine[]): Stay[] {
  const groups = new Map<string, BilledLine[]>();
  for (const line of lines) {
    const { item } = line;
    if (item.category !== "bed_day" || item.visitType !== "inpatient" || item.admissionDate === null) continue;
    const key = `stay/${item.institution}/${item.admissionDate}`;
    append(groups, key, line);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([key, bedDays]) => {
      const first = bedDays[0]?.item;
      const discharges = bedDays.map((l) => l.item.dischargeDate).filter((d): d is string => d !== null).sort();
      return {
        key,
        institution: first?.institution ?? "",
        admissionDate: first?.admissionDate ?? "",
        dischargeDate: discharges[discharges.length - 1] ?? null,
        bedDays: [...bedDays].sort((a, b) => compareText(a.item.serviceDate, b.item.serviceDate) || compareText(a.causeId, b.causeId)),
      };
    });
}

export function buildIndex(items: readonly BilledItem[], events: readonly CheckEvent[]): ReconcileIndex {
  const lines = netLines(uniqueItems(items));
  const unique = uniqueEvents(events).sort(byTime);
  const refs = new Set<string>([...lines.map((l) => l.item.patientRef), ...unique.flatMap((e) => (e.ref === null ? [] : [e.ref]))]);
  const linesByRef = new Map<string, BilledLine[]>();
  for (const line of lines) append(linesByRef, line.item.patientRef, line);
  const eventsByRef = new Map<string, CheckEvent[]>();
  const unidentified = new Map<string, CheckEvent[]>();
  // A check-out whose card could not be read still names the check-in it closes: it belongs to that
  // check-in's patient.
  const checkInOwner = new Map(unique.flatMap((e) => (e.kind === "dialysis.check_in" && e.ref !== null ? [[e.id, e.ref] as const] : [])));
  for (const event of unique) {
    const owner = event.ref ?? (event.kind === "dialysis.check_out" && event.checkInId !== null ? checkInOwner.get(event.checkInId) : undefined);
    if (owner !== undefined) append(eventsByRef, owner, event);
    else if (event.kind === "ward.bedside_check" && event.ward !== null && event.bed !== null) {
      append(unidentified, bedKey(event.site, event.ward, event.bed), event);
    }
  }
  let latest = 0;
  for (const line of lines) latest = Math.max(latest, line.item.serviceEnd ?? line.item.serviceStart ?? Date.parse(`${line.item.serviceDate}T23:59:59+08:00`));
  for (const event of unique) latest = Math.max(latest, event.at);

  const patients = [...refs].sort().map((ref): PatientFacts => {
    const own = linesByRef.get(ref) ?? [];
    const evs = eventsByRef.get(ref) ?? [];
    return {
      ref,
      nameMasked: own[0]?.item.patientNameMasked ?? null,
      sessions: own
        .filter((l) => isDialysis(l.item.category) && l.item.serviceStart !== null)
        .sort((a, b) => (a.item.serviceStart ?? 0) - (b.item.serviceStart ?? 0) || compareText(a.causeId, b.causeId)),
      stays: staysOf(own),
      checkIns: evs.filter((e) => e.kind === "dialysis.check_in"),
      checkOuts: evs.filter((e) => e.kind === "dialysis.check_out"),
      bedsideChecks: evs.filter((e) => e.kind === "ward.bedside_check"),
    };
  });
  return { patients, unidentifiedBedsideChecks: unidentified, latest };
}
