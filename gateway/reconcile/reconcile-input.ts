import { EventMessage, StatusMessage, type EventKind, type Outcome } from "../../protocol/index.js";
import type { BilledItem } from "../billing/billed-item.js";
import type { DeviceRole, DeviceStatusRecord, EventRecord } from "../store/gateway-store.js";

/**
 * What the rules read of an event. `at` is the box's clock reading corrected by its own last measured
 * drift (`driftMs`, positive when the box runs ahead), so a box whose clock is off but measured is
 * placed where the check really happened; an unmeasured drift (null) is taken as zero.
 */
export interface CheckEvent {
  readonly id: string;
  readonly kind: EventKind;
  readonly site: string;
  readonly box: string;
  readonly ref: string | null;
  readonly outcome: Outcome;
  readonly at: number;
  readonly shift: "day" | "night" | null;
  readonly ward: string | null;
  readonly bed: string | null;
  readonly checkInId: string | null;
}

export function checkEventOf(event: EventMessage): CheckEvent {
  const at = Date.parse(event.clock.at) - (event.clock.driftMs ?? 0);
  const base = { id: event.id, kind: event.kind, site: event.site, box: event.box, ref: event.subject.ref, outcome: event.verification.outcome, at };
  switch (event.kind) {
    case "ward.bedside_check":
      return { ...base, shift: event.round.shift, ward: event.bed.ward, bed: event.bed.bed, checkInId: null };
    // An enrolment is not a presence check: no rule reads it (it is no check-in, check-out or bedside check).
    case "enrolment.face_enrolled":
    case "dialysis.check_in":
      return { ...base, shift: null, ward: null, bed: null, checkInId: null };
    case "dialysis.check_out":
      return { ...base, shift: null, ward: null, bed: null, checkInId: event.checkInId };
  }
}

/** Events as the gateway stores them: the signed JSON in `body` (already verified at ingest). */
export function checkEventsOfRecords(records: readonly EventRecord[]): CheckEvent[] {
  return records.map((record) => checkEventOf(EventMessage.parse(JSON.parse(record.body))));
}

/** One point of a box's online/offline timeline. `role` null: unknown, counts for either role. */
export interface BoxStatusPoint {
  readonly site: string;
  readonly box: string;
  readonly role: DeviceRole | null;
  readonly state: "online" | "offline";
  readonly at: number;
}

export function statusPointOf(message: StatusMessage, role: DeviceRole | null = null): BoxStatusPoint {
  return { site: message.site, box: message.box, role, state: message.state, at: Date.parse(message.at) };
}

export function statusPointsOfRecords(records: readonly DeviceStatusRecord[], site: string, role: DeviceRole | null): BoxStatusPoint[] {
  return records.map((r) => ({ site, box: r.box, role, state: r.state, at: r.at }));
}

export interface ReconcileInput {
  readonly items: readonly BilledItem[];
  readonly events: readonly CheckEvent[];
  readonly statuses?: readonly BoxStatusPoint[];
}
