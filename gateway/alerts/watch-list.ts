import { randomUUID } from "node:crypto";
import { alertId, AlertMessage, CommandMessage, PROTOCOL_VERSION, type EventMessage } from "../../protocol/index.js";
import { cst } from "../reconcile/rule-context.js";
import type { AlertCase, AlertCaseDraft, WatchListEntry } from "../store/alert-case-records.js";

/**
 * Before treatment (issue 7 §5): a confirmed impersonation puts the card, by its pseudonymous ref,
 * on the watch list of the institution where it was presented and of every institution that billed
 * the patient. The gateway pushes each institution's whole list to its boxes
 * (command watch_list_update), which then require a staff check for that card whatever the face
 * score; and a watch-listed card presented at a box of such an institution raises a live alert (W1),
 * whether the box flagged it (verification.watchListed) or the gateway recognised the card itself.
 */
const IMPERSONATION_KINDS: readonly string[] = ["impersonation_suspected", "spoof_suspected"];

export function isImpersonation(alert: AlertCase): boolean {
  return IMPERSONATION_KINDS.includes(alert.kind) && alert.patientRef !== null;
}

/** `billedAt`: institutions that billed this patient (they see the card next). */
export function watchListEntriesFor(alert: AlertCase, billedAt: readonly string[], actor: string, at: number): WatchListEntry[] {
  if (!isImpersonation(alert)) return [];
  const message = AlertMessage.parse(JSON.parse(alert.body));
  const sites = new Set<string>([alert.site, ...billedAt, ...(message.evidence.billingLineIds ?? []).map((id) => id.slice(0, id.indexOf("/")))]);
  return [...sites].sort().map((site) => ({ cardRef: alert.patientRef ?? "", site, faceTemplateId: null, alertId: alert.id, addedBy: actor, addedAt: at }));
}

/** The command that replaces a box's watch list with its institution's. */
export function watchListCommand(entries: readonly WatchListEntry[], now: number, validityMs = 7 * 86_400_000): CommandMessage {
  return CommandMessage.parse({
    v: PROTOCOL_VERSION,
    id: randomUUID(),
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + validityMs).toISOString(),
    command: "watch_list_update",
    args: { watchList: entries.map((e) => ({ cardRef: e.cardRef, faceTemplateId: e.faceTemplateId })) },
  });
}

/** W1 alerts for a patient's events at institutions where their card is on watch. */
export function watchListAlerts(events: readonly EventMessage[], watch: readonly WatchListEntry[], raisedAt: number): AlertCaseDraft[] {
  return events.flatMap((event) => {
    const entry = watch.find((w) => w.cardRef === event.subject.ref && w.site === event.site);
    const flagged = event.verification.watchListed === true;
    const at = Date.parse(event.clock.at);
    if (!flagged && (entry === undefined || at < entry.addedAt)) return [];
    const id = alertId("watchlisted_card_presented", [event.id]);
    const by = flagged ? "终端已要求工作人员核查" : "网关识别";
    const byEn = flagged ? "the box required a staff check" : "recognised by the gateway";
    const explanation = {
      zh: `监控名单上的证件 ${event.subject.masked ?? "（未显示）"} 于 ${cst(at)} 在终端 ${event.box} 出示（${by}；核验结果 ${event.verification.outcome}）${entry === undefined ? "" : `，因告警 ${entry.alertId} 被列入监控名单`}。`,
      en: `Watch-listed card ${event.subject.masked ?? "(not shown)"} presented at ${cst(at)} CST on box ${event.box} (${byEn}; outcome ${event.verification.outcome})${entry === undefined ? "" : `, on watch since alert ${entry.alertId}`}.`,
    };
    const message: AlertMessage = {
      v: PROTOCOL_VERSION,
      id,
      kind: "watchlisted_card_presented",
      rule: "W1",
      severity: "critical",
      site: event.site,
      raisedAt: new Date(raisedAt).toISOString(),
      subject: event.subject.ref === null ? null : { ref: event.subject.ref, masked: event.subject.masked },
      evidence: { eventIds: [event.id], boxes: [event.box], billingLineIds: [] },
      summary: explanation.en.slice(0, 500),
      explanation,
    };
    return [{ id, rule: "W1", kind: "watchlisted_card_presented", severity: "critical", site: event.site, patientRef: event.subject.ref, occurredAt: at, source: "watch_list", body: JSON.stringify(AlertMessage.parse(message)), published: false }];
  });
}
