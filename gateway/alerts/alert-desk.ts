import type { AlertCase, AlertCaseStore, TransitionOutcome } from "../store/alert-case-records.js";
import type { GatewayStore } from "../store/gateway-store.js";
import { decideAction, type ActionInput } from "./alert-lifecycle.js";
import { createAlertStreamHub, type AlertStreamHub } from "./alert-stream.js";
import { evidenceKeyOf, type EvidenceKey } from "./evidence-bundle.js";
import { AlertMessage, EventMessage, generateBoxKeyPair } from "../../protocol/index.js";
import { createWebhookDispatcher, type WebhookDispatcher } from "./webhook-delivery.js";
import { allPages } from "./patient-facts-loader.js";
import { isImpersonation, watchListEntriesFor } from "./watch-list.js";

/**
 * The alert back end as the API sees it: the case store, the live stream, webhook delivery, the
 * evidence signing key, and supervisors' actions (each a lifecycle transition with its audit entry;
 * confirming an impersonation also puts the card on the watch list).
 */
export interface AlertDesk {
  readonly store: GatewayStore;
  readonly cases: AlertCaseStore;
  readonly hub: AlertStreamHub;
  readonly webhooks: WebhookDispatcher;
  readonly evidenceKey: EvidenceKey;
  act(id: string, input: ActionInput, actor: string, at?: number): Promise<TransitionOutcome>;
  /** Something changed: let the stream and the webhooks go now rather than at their next poll. */
  changed(): void;
  start(pollMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface AlertDeskOptions {
  readonly store: GatewayStore;
  /** The gateway's evidence signing key; a fresh one (for tests) when absent. */
  readonly evidenceKey?: EvidenceKey;
  readonly webhookFetch?: typeof fetch;
  readonly webhookBackoffMs?: number;
  readonly now?: () => number;
  /** The watch list of a site changed (the gateway pushes it to the site's boxes). */
  readonly onWatchListChanged?: (site: string) => void;
  readonly log?: (level: "info" | "warn" | "error", message: string) => void;
}

export function createAlertDesk(options: AlertDeskOptions): AlertDesk {
  const cases = options.store.alertCases();
  const now = options.now ?? Date.now;
  const hub = createAlertStreamHub(cases, options.log);
  const webhooks = createWebhookDispatcher({
    store: cases,
    now,
    ...(options.webhookFetch === undefined ? {} : { fetch: options.webhookFetch }),
    ...(options.webhookBackoffMs === undefined ? {} : { baseBackoffMs: options.webhookBackoffMs }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const changed = (): void => {
    hub.nudge();
    webhooks.nudge();
  };

  async function onConfirmed(alert: AlertCase, actor: string, at: number): Promise<void> {
    if (!isImpersonation(alert) || alert.patientRef === null) return;
    const ref = alert.patientRef;
    const billed = await allPages((cursor) => options.store.queryBilledItems({ patientRef: ref }, { limit: 1000, cursor }));
    const evidence = AlertMessage.parse(JSON.parse(alert.body)).evidence.eventIds;
    const events = (await Promise.all(evidence.map((id) => options.store.getEvent(id)))).flatMap((record) => (record === undefined ? [] : [EventMessage.parse(JSON.parse(record.body))]));
    const entries = watchListEntriesFor(alert, [...new Set(billed.map((line) => line.institution))], actor, at, events);
    const faces = [...new Set(entries.flatMap((e) => (e.faceTemplateId === null ? [] : [e.faceTemplateId])))];
    await cases.addToWatchList(entries, { at, actor, action: "watch_list.added", subject: `alert/${alert.id}`, site: alert.site, detail: { cards: entries.map((e) => e.cardRef), faces, sites: entries.map((e) => e.site) } });
    for (const site of new Set(entries.map((e) => e.site))) options.onWatchListChanged?.(site);
  }

  return {
    store: options.store,
    cases,
    hub,
    webhooks,
    evidenceKey: options.evidenceKey ?? evidenceKeyOf(generateBoxKeyPair().privateKey),
    async act(id, input, actor, at = now()) {
      const outcome = await cases.transition({ id, action: input.action, actor, reason: input.reason, note: input.note, at, decide: (current) => decideAction(current, input) });
      if (outcome.result === "applied") {
        if (outcome.alert.state === "confirmed") await onConfirmed(outcome.alert, actor, at);
        changed();
      }
      return outcome;
    },
    changed,
    async start(pollMs) {
      await hub.start(pollMs);
      webhooks.start(pollMs);
    },
    async stop() {
      await hub.stop();
      await webhooks.stop();
    },
  };
}
