import type { AlertKind, EventKind, Outcome, PipelineStep, QuarantineReason } from "../../protocol/index.js";
import type {
  AlertRecord,
  ApiRole,
  BilledItemRecord,
  BilledItemStoreOutcome,
  ApiTokenRecord,
  Device,
  DeviceRegistration,
  DeviceRole,
  DeviceStatusRecord,
  EventRecord,
  QuarantineCount,
  QuarantineRecord,
  StoredAlert,
  StoredQuarantine,
} from "./gateway-store.js";

/**
 * Rows as both schemas hold them (same table and column names, snake_case) and their mapping to the
 * store's records. The databases' CHECK constraints and the ingest pipeline's validation are what
 * make the narrow types (kinds, roles) true; rows are not validated again on every read.
 */

export const DEVICE_COLUMNS =
  "box, site, role, location, public_key, key_id, enabled, registered_at, state, state_changed_at, last_status";
export interface DeviceRow {
  readonly box: string;
  readonly site: string;
  readonly role: DeviceRole;
  readonly location: string | null;
  readonly public_key: string;
  readonly key_id: string;
  /** SQLite has no boolean type: 0/1 there, boolean in PostgreSQL. */
  readonly enabled: number | boolean;
  readonly registered_at: number;
  readonly state: "online" | "offline" | null;
  readonly state_changed_at: number | null;
  readonly last_status: string | null;
}

/** The columns a registration fills; the rest (enabled, state) are the store's. */
export const REGISTRATION_COLUMNS = "box, site, role, location, public_key, key_id";

/** A registration's values in REGISTRATION_COLUMNS order. */
export function registrationValues(r: DeviceRegistration) {
  return [r.box, r.site, r.role, r.location, r.publicKey, r.keyId] as const;
}

export function deviceFromRow(row: DeviceRow): Device {
  return {
    box: row.box,
    site: row.site,
    role: row.role,
    location: row.location,
    publicKey: row.public_key,
    keyId: row.key_id,
    enabled: row.enabled === true || row.enabled === 1,
    registeredAt: row.registered_at,
    state: row.state,
    stateChangedAt: row.state_changed_at,
    lastStatus: row.last_status,
  };
}

export const STATUS_COLUMNS = "box, state, reason, at, received_at, body";
export interface StatusRow {
  readonly box: string;
  readonly state: "online" | "offline";
  readonly reason: DeviceStatusRecord["reason"];
  readonly at: number;
  readonly received_at: number;
  readonly body: string;
}

export function statusFromRow(row: StatusRow): DeviceStatusRecord {
  return { box: row.box, state: row.state, reason: row.reason, at: row.at, receivedAt: row.received_at, body: row.body };
}

export const EVENT_COLUMNS =
  "id, site, box, seq, kind, outcome, occurred_at, received_at, subject_ref, body_hash, body, gateway_id";
export interface EventRow {
  readonly id: string;
  readonly site: string;
  readonly box: string;
  readonly seq: number;
  readonly kind: EventKind;
  readonly outcome: Outcome;
  readonly occurred_at: number;
  readonly received_at: number;
  readonly subject_ref: string | null;
  readonly body_hash: string;
  readonly body: string;
  readonly gateway_id: string;
}

/** An event's values in EVENT_COLUMNS order, for inserting. */
export function eventValues(e: EventRecord) {
  return [
    e.id,
    e.site,
    e.box,
    e.seq,
    e.kind,
    e.outcome,
    e.occurredAt,
    e.receivedAt,
    e.subjectRef,
    e.bodyHash,
    e.body,
    e.gatewayId,
  ] as const;
}

export function eventFromRow(row: EventRow): EventRecord {
  return {
    id: row.id,
    site: row.site,
    box: row.box,
    seq: row.seq,
    kind: row.kind,
    outcome: row.outcome,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
    subjectRef: row.subject_ref,
    bodyHash: row.body_hash,
    body: row.body,
    gatewayId: row.gateway_id,
  };
}

export const QUARANTINE_COLUMNS =
  "id, received_at, topic, site, box, event_id, step, reason, detail, payload, payload_bytes, payload_hash, gateway_id, occurrences, last_seen_at";
/** The columns a quarantine record fills (occurrences and last_seen_at are the store's). */
export const QUARANTINE_INSERT_COLUMNS =
  "received_at, topic, site, box, event_id, step, reason, detail, payload, payload_bytes, payload_hash, gateway_id";

export function quarantineValues(q: QuarantineRecord) {
  return [
    q.receivedAt,
    q.topic,
    q.site,
    q.box,
    q.eventId,
    q.step,
    q.reason,
    q.detail,
    q.payload,
    q.payloadBytes,
    q.payloadHash,
    q.gatewayId,
  ] as const;
}

export interface QuarantineRow {
  readonly id: number;
  readonly received_at: number;
  readonly topic: string;
  readonly site: string | null;
  readonly box: string | null;
  readonly event_id: string | null;
  readonly step: PipelineStep;
  readonly reason: QuarantineReason;
  readonly detail: string;
  readonly payload: Buffer;
  readonly payload_bytes: number;
  readonly payload_hash: string;
  readonly gateway_id: string;
  readonly occurrences: number;
  readonly last_seen_at: number;
}

export function quarantineFromRow(row: QuarantineRow): StoredQuarantine {
  return {
    id: row.id,
    receivedAt: row.received_at,
    topic: row.topic,
    site: row.site,
    box: row.box,
    eventId: row.event_id,
    step: row.step,
    reason: row.reason,
    detail: row.detail,
    payload: row.payload,
    payloadBytes: row.payload_bytes,
    payloadHash: row.payload_hash,
    gatewayId: row.gateway_id,
    occurrences: row.occurrences,
    lastSeenAt: row.last_seen_at,
  };
}

export interface QuarantineCountRow {
  readonly reason: QuarantineReason;
  readonly step: PipelineStep;
  readonly messages: number;
  readonly occurrences: number;
}

export function quarantineCountFromRow(row: QuarantineCountRow): QuarantineCount {
  return { reason: row.reason, step: row.step, messages: row.messages, occurrences: row.occurrences };
}

export const ALERT_COLUMNS = "id, kind, site, raised_at, subject_ref, body, published_at";
/** The columns an alert fills when raised, including the event that raised it. */
export const ALERT_INSERT_COLUMNS = "id, kind, site, raised_at, subject_ref, body, event_id";

export function alertValues(alert: AlertRecord, eventId: string) {
  return [alert.id, alert.kind, alert.site, alert.raisedAt, alert.subjectRef, alert.body, eventId] as const;
}

export interface AlertRow {
  readonly id: string;
  readonly kind: AlertKind;
  readonly site: string;
  readonly raised_at: number;
  readonly subject_ref: string | null;
  readonly body: string;
  readonly published_at: number | null;
}

export function alertFromRow(row: AlertRow): StoredAlert {
  return {
    id: row.id,
    kind: row.kind,
    site: row.site,
    raisedAt: row.raised_at,
    subjectRef: row.subject_ref,
    body: row.body,
    publishedAt: row.published_at,
  };
}

export const API_TOKEN_COLUMNS = "name, role, site, token_hash, created_at";
export interface ApiTokenRow {
  readonly name: string;
  readonly role: ApiRole;
  readonly site: string | null;
  readonly token_hash: string;
  readonly created_at: number;
}

export function apiTokenFromRow(row: ApiTokenRow): ApiTokenRecord {
  return { name: row.name, role: row.role, site: row.site, tokenHash: row.token_hash, createdAt: row.created_at };
}

export const BILLED_ITEM_COLUMNS = "id, institution, line_id, patient_ref, category, service_at, body_hash, body, imported_at";

export function billedItemValues(item: BilledItemRecord) {
  return [item.id, item.institution, item.lineId, item.patientRef, item.category, item.serviceAt, item.bodyHash, item.body, item.importedAt] as const;
}

export interface BilledItemRow {
  readonly id: string;
  readonly institution: string;
  readonly line_id: string;
  readonly patient_ref: string;
  readonly category: string;
  readonly service_at: number;
  readonly body_hash: string;
  readonly body: string;
  readonly imported_at: number;
}

export function billedItemFromRow(row: BilledItemRow): BilledItemRecord {
  return {
    id: row.id,
    institution: row.institution,
    lineId: row.line_id,
    patientRef: row.patient_ref,
    category: row.category,
    serviceAt: row.service_at,
    bodyHash: row.body_hash,
    body: row.body,
    importedAt: row.imported_at,
  };
}

/** How a line that was not inserted compares with the one already stored under its id. */
export function billedItemOutcome(storedHash: string, item: BilledItemRecord): BilledItemStoreOutcome {
  if (storedHash === item.bodyHash) return { result: "duplicate" };
  return { result: "conflict", detail: `line ${item.id} is already stored with another body` };
}
