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
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const AlertMessage = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    id: z.string().regex(/^[0-9a-f]{32}$/, "alert id: 32 lowercase hex characters"),
    kind: z.enum(ALERT_KINDS),
    severity: z.enum(["info", "warning", "critical"]),
    site: SiteId,
    raisedAt: Timestamp,
    subject: z.strictObject({ ref: PersonRef, masked: z.string().regex(MASKED_ID_PATTERN).nullable() }).nullable(),
    evidence: z.strictObject({
      eventIds: z.array(EventId).max(50),
      boxes: z.array(z.string().max(64)).max(50),
    }),
    summary: z.string().min(1).max(500),
  })
  .describe("An alert raised by the gateway for supervisors, with the evidence behind it.");
export type AlertMessage = z.infer<typeof AlertMessage>;
