import { alertId, AlertMessage, PROTOCOL_VERSION, type AlertKind } from "../../protocol/index.js";
import type { Finding, RuleId } from "../reconcile/finding.js";
import type { AlertCaseDraft } from "../store/alert-case-records.js";

/**
 * A rule engine finding as an alert (the contract's AlertMessage with rule, bilingual explanation and
 * billed lines). The alert id is the contract's: protocol alertId over the alert kind and the
 * finding's cause ids. Every rule maps to its own kind, so two rules never share an id; and D2's cause
 * is the check-in event alone, so its id is the one ingest gave the same event's alert at once, and
 * billing arriving later enriches that alert rather than raising a second.
 */
const KIND_OF_RULE: Readonly<Record<RuleId, AlertKind>> = {
  D1: "billed_not_verified",
  D2: "impersonation_suspected",
  D3: "session_incomplete",
  D4: "overlapping_session",
  D5: "session_frequency_exceeded",
  D6: "outpatient_while_inpatient",
  B1: "absent_inpatient",
  B2: "bedside_checks_missing",
  B3: "bed_days_exceed_stay",
  C1: "unverifiable_box_offline",
};

export function kindOfFinding(finding: Finding): AlertKind {
  return finding.alertKind ?? KIND_OF_RULE[finding.rule];
}

export function alertIdOfFinding(finding: Finding): string {
  return alertId(kindOfFinding(finding), finding.causeIds);
}

/** Evidence lists are capped as the contract caps them; the evidence bundle carries everything. */
const EVENT_CAP = 50;
const LINE_CAP = 100;

export function alertDraftOfFinding(finding: Finding, raisedAt: number, maskedIdOf: (ref: string) => string | null): AlertCaseDraft {
  const id = alertIdOfFinding(finding);
  const kind = kindOfFinding(finding);
  const message: AlertMessage = {
    v: PROTOCOL_VERSION,
    id,
    kind,
    rule: finding.rule,
    severity: finding.severity,
    site: finding.institution,
    raisedAt: new Date(raisedAt).toISOString(),
    subject: finding.patientRef === null ? null : { ref: finding.patientRef, masked: maskedIdOf(finding.patientRef) },
    patientNameMasked: finding.patientNameMasked,
    evidence: {
      eventIds: finding.eventIds.slice(0, EVENT_CAP),
      boxes: finding.boxes.slice(0, EVENT_CAP),
      billingLineIds: finding.lineIds.slice(0, LINE_CAP),
    },
    summary: finding.explanation.en.slice(0, 500),
    explanation: { zh: finding.explanation.zh, en: finding.explanation.en },
  };
  return {
    id,
    rule: finding.rule,
    kind,
    severity: finding.severity,
    site: finding.institution,
    patientRef: finding.patientRef,
    occurredAt: finding.at,
    source: "reconcile",
    body: JSON.stringify(AlertMessage.parse(message)),
    published: false,
  };
}
