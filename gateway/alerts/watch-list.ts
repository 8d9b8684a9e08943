import { randomUUID } from "node:crypto";
import { alertId, AlertMessage, CommandMessage, PROTOCOL_VERSION, type EventMessage } from "../../protocol/index.js";
import { cst } from "../reconcile/rule-context.js";
import type { AlertCase, AlertCaseDraft, WatchListEntry } from "../store/alert-case-records.js";

/**
 * Before treatment (issue 7 §5): a confirmed impersonation puts the card, by its pseudonymous ref,
 * on the watch list of the institution where it was presented and of every institution that billed
 * the patient, and, where the box identified the face that used it (verification.faceIdentifiedAs:
 * an enrolled patient of the institution), that face too (faceTemplateId). The gateway pushes each
 * institution's whole list to its boxes (command watch_list_update), which then require a staff
 * check for that card whatever the face score, and for that face whatever the card. A watch-listed
 * card presented at a box of such an institution raises a live alert (W1), a watch-listed face seen
 * at one raises W2; each whether the box flagged it or the gateway recognised it itself.
 */
const IMPERSONATION_KINDS: readonly string[] = ["impersonation_suspected", "spoof_suspected"];

export function isImpersonation(alert: AlertCase): boolean {
  return IMPERSONATION_KINDS.includes(alert.kind) && alert.patientRef !== null;
}

/**
 * `billedAt`: institutions that billed this patient (they see the card next). `events`: the alert's
 * evidence events; the face the box identified in them (the closest match) goes on watch with the card.
 */
export function watchListEntriesFor(alert: AlertCase, billedAt: readonly string[], actor: string, at: number, events: readonly EventMessage[] = []): WatchListEntry[] {
  if (!isImpersonation(alert)) return [];
  const message = AlertMessage.parse(JSON.parse(alert.body));
  const sites = new Set<string>([alert.site, ...billedAt, ...(message.evidence.billingLineIds ?? []).map((id) => id.slice(0, id.indexOf("/")))]);
  const faceTemplateId = identifiedFaceOf(events.filter((e) => message.evidence.eventIds.includes(e.id)));
  return [...sites].sort().map((site) => ({ cardRef: alert.patientRef ?? "", site, faceTemplateId, alertId: alert.id, addedBy: actor, addedAt: at }));
}

/** The enrolled person whose face the boxes identified in these events, the closest match first; null when none was. */
export function identifiedFaceOf(events: readonly EventMessage[]): string | null {
  const identified = events.flatMap((e) => (e.verification.faceIdentifiedAs === undefined ? [] : [e.verification.faceIdentifiedAs]));
  return identified.sort((a, b) => a.score - b.score)[0]?.ref ?? null;
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

/** W1 and W2 alerts for a patient's events at institutions where their card or the face seen is on watch. */
export function watchListAlerts(events: readonly EventMessage[], watch: readonly WatchListEntry[], raisedAt: number): AlertCaseDraft[] {
  return events.flatMap((event) => [...cardAlert(event, watch, raisedAt), ...faceAlert(event, watch, raisedAt)]);
}

function cardAlert(event: EventMessage, watch: readonly WatchListEntry[], raisedAt: number): AlertCaseDraft[] {
  const entry = watch.find((w) => w.cardRef === event.subject.ref && w.site === event.site);
  const flagged = event.verification.watchListed === true;
  const at = Date.parse(event.clock.at);
  if (!flagged && (entry === undefined || at < entry.addedAt)) return [];
  const by = flagged ? "终端已要求工作人员核查" : "网关识别";
  const byEn = flagged ? "the box required a staff check" : "recognised by the gateway";
  return [
    watchAlert(event, "watchlisted_card_presented", "W1", raisedAt, {
      zh: `监控名单上的证件 ${event.subject.masked ?? "（未显示）"} 于 ${cst(at)} 在终端 ${event.box} 出示（${by}；核验结果 ${event.verification.outcome}）${entry === undefined ? "" : `，因告警 ${entry.alertId} 被列入监控名单`}。`,
      en: `Watch-listed card ${event.subject.masked ?? "(not shown)"} presented at ${cst(at)} CST on box ${event.box} (${byEn}; outcome ${event.verification.outcome})${entry === undefined ? "" : `, on watch since alert ${entry.alertId}`}.`,
    }),
  ];
}

/**
 * The face seen is on watch: the box flagged it (verification.watchListedFace), or its 1:N search
 * named a person whose face the institution's list holds. The face is the one the box named
 * (faceIdentifiedAs), else the card holder's own.
 */
function faceAlert(event: EventMessage, watch: readonly WatchListEntry[], raisedAt: number): AlertCaseDraft[] {
  const at = Date.parse(event.clock.at);
  const flagged = event.verification.watchListedFace === true;
  // Whose face: the one the box named, else the holder's own when the box flagged it or the check verified.
  const faceRef = event.verification.faceIdentifiedAs?.ref ?? (flagged || event.verification.outcome === "verified" ? event.subject.ref : null);
  const entry = faceRef === null ? undefined : watch.find((w) => w.faceTemplateId === faceRef && w.site === event.site && w.addedAt <= at);
  if (!flagged && entry === undefined) return [];
  const own = faceRef !== null && faceRef === event.subject.ref;
  const whose = own ? "持卡人本人" : `已登记人员 ${faceRef === null ? "（未识别）" : `${faceRef.slice(0, 8)}…`}`;
  const whoseEn = own ? "the card holder's own" : `enrolled person ${faceRef === null ? "(not identified)" : `${faceRef.slice(0, 8)}…`}`;
  const by = flagged ? "终端已要求工作人员核查" : "网关识别";
  const byEn = flagged ? "the box required a staff check" : "recognised by the gateway";
  return [
    watchAlert(event, "watchlisted_face_presented", "W2", raisedAt, {
      zh: `监控名单上的人脸（${whose}）于 ${cst(at)} 在终端 ${event.box} 出现，出示证件 ${event.subject.masked ?? "（未显示）"}（${by}；核验结果 ${event.verification.outcome}）${entry === undefined ? "" : `，因告警 ${entry.alertId} 被列入监控名单`}。`,
      en: `Watch-listed face (${whoseEn}) seen at ${cst(at)} CST on box ${event.box} with card ${event.subject.masked ?? "(not shown)"} (${byEn}; outcome ${event.verification.outcome})${entry === undefined ? "" : `, on watch since alert ${entry.alertId}`}.`,
    }),
  ];
}

function watchAlert(event: EventMessage, kind: "watchlisted_card_presented" | "watchlisted_face_presented", rule: "W1" | "W2", raisedAt: number, explanation: { zh: string; en: string }): AlertCaseDraft {
  const id = alertId(kind, [event.id]);
  const message: AlertMessage = {
    v: PROTOCOL_VERSION,
    id,
    kind,
    rule,
    severity: "critical",
    site: event.site,
    raisedAt: new Date(raisedAt).toISOString(),
    subject: event.subject.ref === null ? null : { ref: event.subject.ref, masked: event.subject.masked },
    evidence: { eventIds: [event.id], boxes: [event.box], billingLineIds: [] },
    summary: explanation.en.slice(0, 500),
    explanation,
  };
  return { id, rule, kind, severity: "critical", site: event.site, patientRef: event.subject.ref, occurredAt: Date.parse(event.clock.at), source: "watch_list", body: JSON.stringify(AlertMessage.parse(message)), published: false };
}
