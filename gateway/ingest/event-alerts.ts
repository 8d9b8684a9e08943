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
  return RULES[outcome] !== undefined || outcome === "enrolled";
}

function where(event: EventMessage): string {
  switch (event.kind) {
    case "ward.bedside_check":
      return `ward ${event.bed.ward} bed ${event.bed.bed} (${event.round.shift} round, ${event.clock.at})`;
    case "dialysis.check_in":
    case "dialysis.check_out":
      return `dialysis station ${event.station.id} (${event.clock.at})`;
    case "enrolment.face_enrolled":
      return `box ${event.box} (${event.clock.at})`;
  }
}

/**
 * E1 one face enrolled under two identities: the box found the face it just enrolled already enrolled
 * under other cards of the institution. Critical: one person holding two insured identities.
 */
function duplicateIdentityAlert(event: EventMessage, raisedAt: number): AlertRecord[] {
  if (event.kind !== "enrolment.face_enrolled" || event.enrolment.duplicateOf.length === 0) return [];
  const kind: AlertKind = "duplicate_identity";
  const id = alertId(kind, [event.id]);
  const others = event.enrolment.duplicateOf.length;
  const message: AlertMessage = {
    v: PROTOCOL_VERSION,
    id,
    kind,
    rule: "E1",
    severity: "critical",
    site: event.site,
    raisedAt: new Date(raisedAt).toISOString(),
    subject: event.subject.ref === null ? null : { ref: event.subject.ref, masked: event.subject.masked },
    evidence: { eventIds: [event.id], boxes: [event.box] },
    summary: `The face enrolled for card ${event.subject.masked ?? "(unmasked)"} at ${where(event)} is already enrolled under ${String(others)} other card(s) of this institution.`,
    explanation: {
      zh: `在 ${where(event)} 为证件 ${event.subject.masked ?? ""} 登记的人脸，已登记在本机构另外 ${String(others)} 张证件名下（一人两证），请核查是否冒用参保身份。`,
      en: `The face enrolled for card ${event.subject.masked ?? "(unmasked)"} at ${where(event)} is already enrolled under ${String(others)} other card(s) of this institution (one face, two cards): check for a borrowed insured identity.`,
    },
  };
  return [{ id, kind, site: event.site, raisedAt, subjectRef: event.subject.ref, body: JSON.stringify(AlertMessage.parse(message)) }];
}

export function alertsForEvent(event: EventMessage, raisedAt: number): AlertRecord[] {
  if (event.kind === "enrolment.face_enrolled") return duplicateIdentityAlert(event, raisedAt);
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
