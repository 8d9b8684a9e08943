import { z } from "zod";
import { AlertMessage } from "../../protocol/index.js";
import { ALERT_STATES, type AlertCase, type AlertTransition } from "../store/alert-case-records.js";
import { ALERT_ACTIONS, allowedActions } from "./alert-lifecycle.js";

/**
 * The alert as the API, the SSE stream and the dashboard see it: the published AlertMessage's facts
 * flattened, with its lifecycle state and the actions allowed from it.
 */
const Bilingual = z.object({ zh: z.string(), en: z.string() });

export const AlertCaseView = z.object({
  id: z.string(),
  rule: z.string(),
  kind: z.string(),
  severity: z.enum(["info", "warning", "critical"]),
  state: z.enum(ALERT_STATES),
  institution: z.string(),
  site: z.string(),
  source: z.enum(["ingest", "reconcile", "watch_list"]),
  raisedAt: z.string(),
  occurredAt: z.string(),
  updatedAt: z.string(),
  patientRef: z.string().nullable(),
  patientMasked: z.string().nullable(),
  patientNameMasked: z.string().nullable(),
  summary: z.string(),
  explanation: Bilingual,
  resolution: Bilingual.nullable().describe("Why it was auto-resolved (or re-opened), in both languages."),
  billingLineIds: z.array(z.string()),
  eventIds: z.array(z.string()),
  boxes: z.array(z.string()),
  allowedActions: z.array(z.enum(ALERT_ACTIONS)),
  alert: AlertMessage.describe("The alert exactly as published on MQTT and to webhooks."),
  publishedAt: z.string().nullable(),
});
export type AlertCaseView = z.infer<typeof AlertCaseView>;

export const AlertTransitionView = z.object({
  from: z.enum(ALERT_STATES).nullable(),
  to: z.enum(ALERT_STATES),
  action: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
  note: z.string().nullable(),
  at: z.string(),
});

const iso = (ms: number): string => new Date(ms).toISOString();

export function alertCaseView(alert: AlertCase): AlertCaseView {
  const message = AlertMessage.parse(JSON.parse(alert.body));
  return {
    id: alert.id,
    rule: alert.rule,
    kind: alert.kind,
    severity: alert.severity,
    state: alert.state,
    institution: alert.site,
    site: alert.site,
    source: alert.source,
    raisedAt: iso(alert.raisedAt),
    occurredAt: iso(alert.occurredAt),
    updatedAt: iso(alert.stateChangedAt),
    patientRef: alert.patientRef,
    patientMasked: message.subject?.masked ?? null,
    patientNameMasked: message.patientNameMasked ?? null,
    summary: message.summary,
    // Alerts raised before the rule catalogue have one English summary: it serves both languages.
    explanation: message.explanation ?? { zh: message.summary, en: message.summary },
    resolution: alert.resolution === null ? null : Bilingual.parse(JSON.parse(alert.resolution)),
    billingLineIds: message.evidence.billingLineIds ?? [],
    eventIds: message.evidence.eventIds,
    boxes: message.evidence.boxes,
    allowedActions: allowedActions(alert.state),
    alert: message,
    publishedAt: alert.publishedAt === null ? null : iso(alert.publishedAt),
  };
}

export function transitionView(t: AlertTransition): z.infer<typeof AlertTransitionView> {
  return { from: t.from, to: t.to, action: t.action, actor: t.actor, reason: t.reason, note: t.note, at: iso(t.at) };
}
