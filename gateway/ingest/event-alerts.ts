import {
  alertId,
  AlertMessage,
  PROTOCOL_VERSION,
  type AlertKind,
  type EventMessage,
  type Outcome,
} from "../../protocol/index.js";
import type { AlertRecord } from "../store/gateway-store.js";

/**
 * Alerts that a single verified event already justifies. Reconciliation against billing raises the
 * others (billed but never verified, duplicate or overlapping sessions). The alert id derives from
 * kind and event id, so re-delivery can never raise an alert twice.
 */
const RULES: Partial<Record<Outcome, { kind: AlertKind; severity: AlertMessage["severity"]; summary: (e: EventMessage) => string }>> = {
  face_mismatch: {
    kind: "impersonation_suspected",
    severity: "critical",
    summary: (e) => `Face did not match the enrolled owner of card ${e.subject.masked ?? "(unmasked)"} at ${where(e)}.`,
  },
  suspected_spoof: {
    kind: "spoof_suspected",
    severity: "critical",
    summary: (e) => `Liveness check failed (photo or screen suspected) for card ${e.subject.masked ?? "(unmasked)"} at ${where(e)}.`,
  },
  absent: {
    kind: "absent_inpatient",
    severity: "warning",
    summary: (e) => `Inpatient absent from bed at ${where(e)}.`,
  },
};

/** Whether an event with this outcome raises an alert on its own (checked before parsing the body). */
export function raisesAlert(outcome: Outcome): boolean {
  return RULES[outcome] !== undefined;
}

function where(event: EventMessage): string {
  switch (event.kind) {
    case "ward.bedside_check":
      return `ward ${event.bed.ward} bed ${event.bed.bed} (${event.round.shift} round, ${event.clock.at})`;
    case "dialysis.check_in":
    case "dialysis.check_out":
      return `dialysis station ${event.station.id} (${event.clock.at})`;
  }
}

export function alertsForEvent(event: EventMessage, raisedAt: number): AlertRecord[] {
  const rule = RULES[event.verification.outcome];
  if (rule === undefined) return [];
  const id = alertId(rule.kind, [event.id]);
  const message: AlertMessage = {
    v: PROTOCOL_VERSION,
    id,
    kind: rule.kind,
    severity: rule.severity,
    site: event.site,
    raisedAt: new Date(raisedAt).toISOString(),
    subject: event.subject.ref === null ? null : { ref: event.subject.ref, masked: event.subject.masked },
    evidence: { eventIds: [event.id], boxes: [event.box] },
    summary: rule.summary(event),
  };
  return [{ id, kind: rule.kind, site: event.site, raisedAt, subjectRef: event.subject.ref, body: JSON.stringify(AlertMessage.parse(message)) }];
}
