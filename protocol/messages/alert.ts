import { z } from "zod";
import { EventId, PersonRef, SiteId, Timestamp } from "../identifiers.js";
import { MASKED_ID_PATTERN } from "../pseudonym.js";
import { PROTOCOL_VERSION } from "../version.js";

/**
 * Alerts from the gateway to supervisors' systems on `cw/v1/{site}/alerts`. An alert's id is derived
 * from its kind and cause (see alert-id.ts), so the same cause can never raise two alerts, however
 * often the events behind it are delivered.
 */
export const ALERT_KINDS = [
  "impersonation_suspected",
  "spoof_suspected",
  "absent_inpatient",
  "billed_not_verified",
  "duplicate_session",
  "overlapping_session",
  "session_incomplete",
  "session_frequency_exceeded",
  "outpatient_while_inpatient",
  "bedside_checks_missing",
  "bed_days_exceed_stay",
  "unverifiable_box_offline",
  "watchlisted_card_presented",
  "watchlisted_face_presented",
  "duplicate_identity",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * The rule that raised an alert: D1-D6 dialysis, B1-B3 bed-days, C1 unverifiable while a box was
 * offline (the reconciliation catalogue, gateway/reconcile/README.md); A1 an inpatient found absent at
 * a bedside check (raised live, before any billing); W1 a watch-listed card presented at a box; W2 a watch-listed face seen at a box, whatever the card; E1 one
 * face enrolled under two identities (reported by the box at enrolment).
 */
export const ALERT_RULES = ["D1", "D2", "D3", "D4", "D5", "D6", "B1", "B2", "B3", "C1", "A1", "W1", "W2", "E1"] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export const AlertMessage = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    id: z.string().regex(/^[0-9a-f]{32}$/, "alert id: 32 lowercase hex characters"),
    kind: z.enum(ALERT_KINDS),
    rule: z.enum(ALERT_RULES).optional().describe("The rule that raised the alert; absent only in alerts from gateways before the rule catalogue."),
    severity: z.enum(["info", "warning", "critical"]),
    site: SiteId,
    raisedAt: Timestamp,
    subject: z.strictObject({ ref: PersonRef, masked: z.string().regex(MASKED_ID_PATTERN).nullable() }).nullable(),
    patientNameMasked: z.string().max(64).nullable().optional().describe("The patient's name as billed, masked for display (王*英)."),
    evidence: z.strictObject({
      eventIds: z.array(EventId).max(50),
      boxes: z.array(z.string().max(64)).max(50),
      billingLineIds: z.array(z.string().max(200)).max(100).optional().describe("Billed lines involved, as `institution/lineId`."),
    }),
    summary: z.string().min(1).max(500),
    explanation: z
      .strictObject({ zh: z.string().min(1).max(2000), en: z.string().min(1).max(2000) })
      .optional()
      .describe("What the rule found, in Simplified Chinese and English, for a supervisor to read."),
  })
  .describe("An alert raised by the gateway for supervisors, with the evidence behind it.");
export type AlertMessage = z.infer<typeof AlertMessage>;
