import type { AlertKind } from "../../protocol/index.js";
import type { AuditBody } from "./audit-hash.js";
import type { BilledItemRecord, Page, PageRequest, StoredAlert } from "./gateway-store.js";

/**
 * The alert back end's records (gateway/alerts): alert cases with their lifecycle, the hash-chained
 * audit log, the change feed, webhook subscriptions and deliveries, the watch list. Both stores
 * implement AlertCaseStore with one SQL program (alert-case-sql.ts).
 */

export const ALERT_STATES = ["open", "acknowledged", "confirmed", "dismissed", "closed", "auto_resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export type AlertSource = "ingest" | "reconcile" | "watch_list";
export type AlertSeverity = "info" | "warning" | "critical";

/** What the raiser knows of an alert: everything but its lifecycle. */
export interface AlertCaseDraft {
  readonly id: string;
  readonly rule: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  readonly site: string;
  readonly patientRef: string | null;
  /** When the fact behind it happened (ms). */
  readonly occurredAt: number;
  readonly source: AlertSource;
  /** The AlertMessage as JSON text. */
  readonly body: string;
  /** Already published on MQTT by its raiser (ingest alerts): the case publisher skips it. */
  readonly published: boolean;
}

export interface AlertCase extends Omit<AlertCaseDraft, "published"> {
  readonly raisedAt: number;
  readonly state: AlertState;
  readonly stateChangedAt: number;
  /** Why it was auto-resolved or re-opened, `{zh, en}` JSON; null otherwise. */
  readonly resolution: string | null;
  readonly publishedAt: number | null;
}

export interface AlertTransition {
  readonly alertId: string;
  readonly from: AlertState | null;
  readonly to: AlertState;
  readonly action: string;
  readonly actor: string;
  readonly reason: string | null;
  readonly note: string | null;
  readonly at: number;
}

/** A case with every state it went through, oldest first. */
export interface AlertCaseHistory {
  readonly alert: AlertCase;
  readonly transitions: readonly AlertTransition[];
}

/** Bounds on when an alert's fact occurred (occurredAt, ms): [from, to). */
export interface OccurredRange {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

export interface AlertCaseFilter {
  readonly site?: string | undefined;
  readonly rule?: string | undefined;
  readonly kind?: AlertKind | undefined;
  readonly severity?: AlertSeverity | undefined;
  readonly state?: AlertState | undefined;
  readonly patientRef?: string | undefined;
  /** Bounds on raisedAt, ms. */
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

export type AlertChangeKind = "raised" | "updated" | "state_changed";

export interface AlertChange {
  readonly seq: number;
  readonly alertId: string;
  readonly site: string;
  readonly change: AlertChangeKind;
  readonly at: number;
}

/** Who did what to what; `detail` is any JSON the action needs to be understood later. */
export interface AuditDraft {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  /** The institution the entry concerns; null: deployment-wide. */
  readonly site: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** An entry as stored: its hashed body (detail as canonical JSON text) and its links. */
export interface AuditEntry extends AuditBody {
  readonly prevHash: string;
  readonly hash: string;
}

export type UpsertResult = "raised" | "updated" | "reopened" | "unchanged";

export interface UpsertOutcome {
  readonly result: UpsertResult;
  readonly alert: AlertCase;
}

/** A state change decided from the current case, inside the store's transaction. */
export type TransitionDecision =
  | { readonly result: "apply"; readonly to: AlertState; readonly resolution: string | null }
  | { readonly result: "refuse"; readonly detail: string };

export type TransitionOutcome =
  | { readonly result: "applied"; readonly alert: AlertCase }
  | { readonly result: "refused"; readonly alert: AlertCase; readonly detail: string }
  | { readonly result: "not_found" };

export interface TransitionRequest {
  readonly id: string;
  readonly action: string;
  readonly actor: string;
  readonly reason: string | null;
  readonly note: string | null;
  readonly at: number;
  readonly decide: (current: AlertCase) => TransitionDecision;
}

export interface WebhookRecord {
  readonly id: string;
  readonly url: string;
  /** HMAC-SHA256 key: the receiver holds the same one to check signatures. */
  readonly secret: string;
  /** Only this institution's alerts; null: all. */
  readonly site: string | null;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface WebhookDelivery {
  readonly id: number;
  readonly webhookId: string;
  readonly url: string;
  readonly secret: string;
  readonly changeSeq: number;
  readonly payload: string;
  readonly attempts: number;
  readonly nextAttemptAt: number;
}

export interface WatchListEntry {
  readonly cardRef: string;
  readonly site: string;
  readonly faceTemplateId: string | null;
  readonly alertId: string;
  readonly addedBy: string;
  readonly addedAt: number;
}

/** Per rule and institution: how reviewed alerts ended. */
export interface VerdictCount {
  readonly rule: string;
  readonly site: string;
  readonly state: AlertState;
  readonly count: number;
}

export interface UnadoptedAlert {
  readonly alert: StoredAlert;
  readonly occurredAt: number;
}

export interface AlertCaseStore {
  /**
   * Raises a new case (state open), or updates the evidence of an existing one, or re-opens an
   * auto-resolved one whose cause is found again; records the transition, the change and the audit
   * entry in the same transaction. An unchanged body changes nothing; with `onlyIfNew` an existing
   * case is left as it is (adopting an ingest alert the rules already enriched).
   */
  upsertCase(draft: AlertCaseDraft, at: number, actor: string, options?: { readonly onlyIfNew?: boolean }): Promise<UpsertOutcome>;
  /** Applies a lifecycle transition decided on the current state, with its audit entry, atomically. */
  transition(request: TransitionRequest): Promise<TransitionOutcome>;
  getCase(id: string): Promise<AlertCase | undefined>;
  queryCases(filter: AlertCaseFilter, page: PageRequest): Promise<Page<AlertCase>>;
  /** Cases of a patient in one of `states` (the incremental runner's auto-resolve candidates). */
  casesOfPatient(patientRef: string, states: readonly AlertState[]): Promise<readonly AlertCase[]>;
  transitionsOf(id: string): Promise<readonly AlertTransition[]>;
  /** Ingest alerts (alerts table) that have no case yet, oldest first, with their event's time. */
  unadoptedAlerts(limit: number): Promise<readonly UnadoptedAlert[]>;
  unpublishedCases(limit: number): Promise<readonly AlertCase[]>;
  markCasesPublished(ids: readonly string[], at: number): Promise<void>;
  verdictCounts(): Promise<readonly VerdictCount[]>;
  /**
   * One institution's cases a supervisor confirmed, whatever their state now (a confirmed case later
   * closed is still confirmed; a dismissed one never was), each with its whole history; those whose
   * fact occurred in `occurred`, oldest first.
   */
  confirmedCases(site: string, occurred: OccurredRange): Promise<readonly AlertCaseHistory[]>;
  /** Billed lines by id (`institution/lineId`), in id order; unknown ids are left out. */
  billedLines(ids: readonly string[]): Promise<readonly BilledItemRecord[]>;

  changesAfter(seq: number, limit: number): Promise<readonly AlertChange[]>;
  lastChangeSeq(): Promise<number>;

  /** Appends to the hash chain (under a lock: one chain however many gateways). */
  appendAudit(draft: AuditDraft): Promise<AuditEntry>;
  /** Entries with seq > afterSeq in seq order (of one institution when `site` is given). */
  auditEntries(afterSeq: number, limit: number, site?: string): Promise<readonly AuditEntry[]>;

  createWebhook(webhook: WebhookRecord, audit: AuditDraft): Promise<void>;
  listWebhooks(): Promise<readonly WebhookRecord[]>;
  deleteWebhook(id: string, audit: AuditDraft): Promise<boolean>;
  dueDeliveries(now: number, limit: number): Promise<readonly WebhookDelivery[]>;
  recordDelivery(id: number, result: { readonly delivered: boolean; readonly at: number; readonly nextAttemptAt: number; readonly error: string | null }): Promise<void>;
  pendingDeliveries(webhookId: string): Promise<number>;

  /** Adds cards to the watch list (existing entries stay), with the audit entry. */
  addToWatchList(entries: readonly WatchListEntry[], audit: AuditDraft): Promise<void>;
  watchList(site: string | undefined): Promise<readonly WatchListEntry[]>;

  /** Patients whose events were received or billed lines imported in [from, to). */
  touchedPatients(from: number, to: number): Promise<readonly string[]>;
  cursor(name: string): Promise<number | undefined>;
  setCursor(name: string, position: number): Promise<void>;
}
