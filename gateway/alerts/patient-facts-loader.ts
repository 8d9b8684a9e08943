import { EventMessage } from "../../protocol/index.js";
import type { BilledItem } from "../billing/billed-item.js";
import { checkEventOf, statusPointsOfRecords, type BoxStatusPoint, type CheckEvent } from "../reconcile/reconcile-input.js";
import type { BilledItemRecord, EventRecord, GatewayStore, Page } from "../store/gateway-store.js";

/**
 * Everything the rules need to re-run for one patient, read from the store: their billed lines and
 * events at every institution (D4 and D6 look across institutions), the card-less bedside checks at
 * the beds they were billed for (B1/B2 read those too), and the online/offline timelines of the boxes
 * of every institution involved.
 */
export interface PatientData {
  readonly ref: string;
  readonly items: readonly BilledItem[];
  readonly itemRecords: readonly BilledItemRecord[];
  readonly events: readonly CheckEvent[];
  readonly eventRecords: readonly EventRecord[];
  /** The events as the boxes signed them, in eventRecords order. */
  readonly messages: readonly EventMessage[];
  readonly statuses: readonly BoxStatusPoint[];
  /** The masked ID number the boxes reported for this patient, if any did. */
  readonly maskedId: string | null;
}

const PAGE = 1000;
const STATUS_HISTORY = 1000;

export async function allPages<T>(fetch: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetch(cursor);
    out.push(...page.items);
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
}

export async function loadPatientData(store: GatewayStore, ref: string): Promise<PatientData> {
  const itemRecords = await allPages((cursor) => store.queryBilledItems({ patientRef: ref }, { limit: PAGE, cursor }));
  const items = itemRecords.map((record) => JSON.parse(record.body) as BilledItem);
  const own = await allPages((cursor) => store.queryEvents({ subjectRef: ref }, { limit: PAGE, cursor }));
  const atBeds = await cardlessChecksAtBeds(store, items);
  const eventRecords = [...own, ...atBeds];
  const messages = eventRecords.map((record) => EventMessage.parse(JSON.parse(record.body)));
  const sites = new Set<string>([...items.map((i) => i.institution), ...messages.map((m) => m.site)]);
  const statuses: BoxStatusPoint[] = [];
  for (const site of [...sites].sort()) {
    for (const device of await store.listDevices({ site })) {
      statuses.push(...statusPointsOfRecords(await store.statusHistory(device.box, STATUS_HISTORY), site, device.role));
    }
  }
  const maskedId = messages.find((m) => m.subject.ref === ref && m.subject.masked !== null)?.subject.masked ?? null;
  return { ref, items, itemRecords, events: messages.map(checkEventOf), eventRecords, messages, statuses, maskedId };
}

/** Bedside checks without a card read, at the wards of the patient's billed bed-days, over those days. */
async function cardlessChecksAtBeds(store: GatewayStore, items: readonly BilledItem[]): Promise<EventRecord[]> {
  const beds = items.filter((i) => i.category === "bed_day" && i.ward !== null && i.bed !== null);
  if (beds.length === 0) return [];
  const bySite = new Map<string, { from: number; to: number; beds: Set<string> }>();
  for (const item of beds) {
    const day = Date.parse(`${item.serviceDate}T00:00:00+08:00`);
    const range = bySite.get(item.institution) ?? { from: day, to: day, beds: new Set<string>() };
    range.from = Math.min(range.from, day);
    range.to = Math.max(range.to, day);
    range.beds.add(`${item.ward ?? ""}/${item.bed ?? ""}`);
    bySite.set(item.institution, range);
  }
  const out: EventRecord[] = [];
  for (const [site, range] of bySite) {
    // A bed-day runs into the next morning (bedDay.startHour), so read two days past the last.
    const records = await allPages((cursor) => store.queryEvents({ site, kind: "ward.bedside_check", from: range.from, to: range.to + 2 * 86_400_000 }, { limit: PAGE, cursor }));
    for (const record of records) {
      if (record.subjectRef !== null) continue;
      const message = EventMessage.parse(JSON.parse(record.body));
      if (message.kind === "ward.bedside_check" && range.beds.has(`${message.bed.ward}/${message.bed.bed}`)) out.push(record);
    }
  }
  return out;
}
