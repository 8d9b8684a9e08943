import { AlertMessage, type AlertKind } from "../../protocol/index.js";
import type { AlertCaseDraft } from "../store/alert-case-records.js";
import type { GatewayStore } from "../store/gateway-store.js";

/**
 * Alerts that ingest raised at once (gateway/ingest/event-alerts.ts, stored in the same transaction
 * as their event) get a case with a lifecycle here. Adoption reads the store, not a callback, so an
 * alert stored just before a crash is adopted on the next pass. Ingest already published them on
 * MQTT, so the case is marked published.
 */
const RULE_OF_INGEST_KIND: Partial<Record<AlertKind, string>> = {
  impersonation_suspected: "D2",
  spoof_suspected: "D2",
  absent_inpatient: "A1",
  watchlisted_card_presented: "W1",
  watchlisted_face_presented: "W2",
  duplicate_identity: "E1",
};

export function ruleOfIngestKind(kind: AlertKind): string {
  return RULE_OF_INGEST_KIND[kind] ?? "A1";
}

export async function adoptIngestAlerts(store: GatewayStore, actor: string, limit = 500): Promise<number> {
  const cases = store.alertCases();
  const pending = await cases.unadoptedAlerts(limit);
  for (const { alert, occurredAt } of pending) {
    const message = AlertMessage.parse(JSON.parse(alert.body));
    const rule = message.rule ?? ruleOfIngestKind(message.kind);
    const draft: AlertCaseDraft = {
      id: alert.id,
      rule,
      kind: alert.kind,
      severity: message.severity,
      site: alert.site,
      patientRef: alert.subjectRef,
      occurredAt,
      source: "ingest",
      body: JSON.stringify({ ...message, rule }),
      published: true,
    };
    // The rules may have raised the same alert (D2, same id) with more evidence first: keep theirs.
    await cases.upsertCase(draft, alert.raisedAt, actor, { onlyIfNew: true });
  }
  return pending.length;
}
