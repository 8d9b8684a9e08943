import type { AlertCaseStore } from "../store/alert-case-records.js";

/**
 * Publishes alerts the rule engine raised on the MQTT alert topic (cw/v1/{site}/alerts), from the
 * store: a case is stored first and marked published only after the broker took it, so a crash in
 * between publishes it again on the next pass (the same id: receivers de-duplicate by it). Ingest
 * publishes its own alerts.
 */
export async function publishPendingCases(cases: AlertCaseStore, publish: (site: string, body: string) => Promise<void>, now: () => number = Date.now): Promise<number> {
  const pending = await cases.unpublishedCases(200);
  for (const alert of pending) {
    await publish(alert.site, alert.body);
    await cases.markCasesPublished([alert.id], now());
  }
  return pending.length;
}
