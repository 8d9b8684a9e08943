import type { AlertKind, EventKind, Outcome, PipelineStep, QuarantineReason } from "../../protocol/index.js";
import type { AlertCaseStore } from "./alert-case-records.js";
import type { AttestationCount, AttestationFilter } from "./attestation-counts.js";
import type {
  ProvisioningTokenRecord,
  SiteTemplateKeyRecord,
  StoredTemplate,
  TemplateRecord,
  TemplateStoreOutcome,
  TokenClaim,
} from "./provisioning-records.js";

/**
 * The gateway's storage behind one interface, with two implementations that pass one test suite
 * (store-contract.ts): SQLite via better-sqlite3 (the default, one gateway) and PostgreSQL via `pg`
 * (several gateways sharing one database). Every write that ingest makes for one batch of messages
 * happens in one transaction (`commitBatch`), so an ack is only ever sent for what is durable.
 */

export type DeviceRole = "dialysis_station" | "ward_round";
export const DEVICE_ROLES: readonly DeviceRole[] = ["dialysis_station", "ward_round"];

export interface DeviceRegistration {
  readonly box: string;
  readonly site: string;
  readonly role: DeviceRole;
  /** Station id for a dialysis box, ward for a ward-round box; null if not fixed. */
  readonly location: string | null;
  /** Raw Ed25519 public key, 32 bytes in base64url. */
  readonly publicKey: string;
  /** First 16 hex of SHA-256 over the raw public key (protocol keyIdOf). */
  readonly keyId: string;
}

export interface Device extends DeviceRegistration {
  readonly enabled: boolean;
  readonly registeredAt: number;
  /** Last known availability from retained status / last will; null before the first status. */
  readonly state: "online" | "offline" | null;
  readonly stateChangedAt: number | null;
  readonly lastStatus: string | null;
}

export type RegisterOutcome =
  | { readonly result: "created"; readonly device: Device }
  | { readonly result: "unchanged"; readonly device: Device }
  | { readonly result: "key_replaced"; readonly device: Device }
  | { readonly result: "conflict"; readonly device: Device; readonly detail: string };

export interface DeviceStatusRecord {
  readonly box: string;
  readonly state: "online" | "offline";
  readonly reason: "connected" | "shutdown" | "last_will";
  /** The box's own timestamp of the status (ms since epoch). */
  readonly at: number;
  readonly receivedAt: number;
  /** The status message as JSON text. */
  readonly body: string;
}

export interface EventRecord {
  readonly id: string;
  readonly site: string;
  readonly box: string;
  readonly seq: number;
  readonly kind: EventKind;
  readonly outcome: Outcome;
  /** The box's clock reading of the check, ms since epoch. */
  readonly occurredAt: number;
  readonly receivedAt: number;
  readonly subjectRef: string | null;
  /** SHA-256 hex of `body`: equal bodies are duplicates, different bodies under one id are replays. */
  readonly bodyHash: string;
  /** The signed event exactly as verified, as canonical JSON text (keeps the signature checkable later). */
  readonly body: string;
  /** Which gateway instance stored it. */
  readonly gatewayId: string;
}

export type EventStoreOutcome =
  | { readonly result: "stored" }
  | { readonly result: "duplicate" }
  | { readonly result: "replay_conflict" | "sequence_reuse"; readonly detail: string };

export interface QuarantineRecord {
  readonly receivedAt: number;
  readonly topic: string;
  /** From the topic when it parses; null otherwise. */
  readonly site: string | null;
  readonly box: string | null;
  /** The event id when the payload got far enough to have one. */
  readonly eventId: string | null;
  readonly step: PipelineStep;
  readonly reason: QuarantineReason;
  readonly detail: string;
  /** The raw payload, capped (see payloadBytes for the original size). */
  readonly payload: Buffer;
  readonly payloadBytes: number;
  /** SHA-256 hex over topic and the full raw payload: the same bad message delivered again is counted, not duplicated. */
  readonly payloadHash: string;
  readonly gatewayId: string;
}

export interface StoredQuarantine extends Omit<QuarantineRecord, "gatewayId"> {
  readonly id: number;
  readonly occurrences: number;
  readonly lastSeenAt: number;
  readonly gatewayId: string;
}

export interface AlertRecord {
  /** Derived from kind and cause (protocol alertId): the same cause never raises twice. */
  readonly id: string;
  readonly kind: AlertKind;
  readonly site: string;
  readonly raisedAt: number;
  readonly subjectRef: string | null;
  /** The AlertMessage as JSON text, as published. */
  readonly body: string;
}

export interface StoredAlert extends AlertRecord {
  readonly publishedAt: number | null;
}

export interface IngestBatch {
  readonly events: readonly EventRecord[];
  readonly quarantine: readonly QuarantineRecord[];
  /** Alerts derived from this batch's events; only those whose event was newly stored are inserted. */
  readonly alerts: readonly { readonly alert: AlertRecord; readonly eventId: string }[];
}

export interface IngestBatchResult {
  /** One outcome per input event, in input order. */
  readonly events: readonly EventStoreOutcome[];
  /** Alerts inserted by this batch (not those that already existed). */
  readonly raisedAlerts: readonly AlertRecord[];
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque cursor for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface EventFilter {
  readonly site?: string | undefined;
  readonly box?: string | undefined;
  readonly kind?: EventKind | undefined;
  readonly outcome?: Outcome | undefined;
  readonly subjectRef?: string | undefined;
  /** Inclusive lower / exclusive upper bound on occurredAt, ms since epoch. */
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

export interface QuarantineFilter {
  readonly site?: string | undefined;
  readonly box?: string | undefined;
  readonly reason?: QuarantineReason | undefined;
  readonly step?: PipelineStep | undefined;
  /** Bounds on receivedAt, ms since epoch. */
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

export interface AlertFilter {
  readonly site?: string | undefined;
  readonly kind?: AlertKind | undefined;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

export interface QuarantineCount {
  readonly reason: QuarantineReason;
  readonly step: PipelineStep;
  /** Distinct messages. */
  readonly messages: number;
  /** Deliveries, counting re-deliveries of the same message. */
  readonly occurrences: number;
}

export interface SequenceStats {
  readonly box: string;
  readonly stored: number;
  readonly maxSeq: number;
  /** maxSeq - stored: sequence numbers below the highest seen that never arrived. */
  readonly missing: number;
}

/**
 * A billed line as stored: the validated BilledItem (gateway/billing) as JSON in `body`, with the
 * columns listings filter on. The raw ID number was hashed on import and never reaches the store.
 */
export interface BilledItemRecord {
  /** `institution/lineId`: line ids are unique per institution, the idempotency key of a line. */
  readonly id: string;
  readonly institution: string;
  readonly lineId: string;
  readonly patientRef: string;
  readonly category: string;
  /** The billed start, or for a line without one the start of its CST service date; ms since epoch. */
  readonly serviceAt: number;
  /** SHA-256 hex of `body`: the same line imported again is a duplicate, another body a conflict. */
  readonly bodyHash: string;
  readonly body: string;
  readonly importedAt: number;
}

export type BilledItemStoreOutcome =
  | { readonly result: "stored" }
  | { readonly result: "duplicate" }
  | { readonly result: "conflict"; readonly detail: string };

export interface BilledItemFilter {
  readonly institution?: string | undefined;
  readonly patientRef?: string | undefined;
  readonly category?: string | undefined;
  /** Inclusive lower / exclusive upper bound on serviceAt, ms since epoch. */
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

export type ApiRole = "admin" | "supervisor" | "hospital";
export const API_ROLES: readonly ApiRole[] = ["admin", "supervisor", "hospital"];

export interface ApiTokenRecord {
  readonly name: string;
  readonly role: ApiRole;
  /** Required for role hospital: the one institution the token may see. */
  readonly site: string | null;
  /** SHA-256 hex of the bearer token; the token itself is never stored. */
  readonly tokenHash: string;
  readonly createdAt: number;
}

export interface GatewayStore {
  /** Applies pending versioned migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  registerDevice(registration: DeviceRegistration, options?: { replaceKey?: boolean }): Promise<RegisterOutcome>;
  setDeviceEnabled(box: string, enabled: boolean): Promise<Device | undefined>;
  getDevice(box: string): Promise<Device | undefined>;
  listDevices(filter: { site?: string | undefined }): Promise<readonly Device[]>;
  /** Appends to the status history; updates the device's state only if `at` is not older than the current one. */
  recordStatus(status: DeviceStatusRecord): Promise<void>;
  statusHistory(box: string, limit: number): Promise<readonly DeviceStatusRecord[]>;

  /** Stores a batch of verified events, quarantine records and derived alerts in one transaction. */
  commitBatch(batch: IngestBatch): Promise<IngestBatchResult>;
  getEvent(id: string): Promise<EventRecord | undefined>;
  queryEvents(filter: EventFilter, page: PageRequest): Promise<Page<EventRecord>>;
  countEvents(filter: EventFilter): Promise<number>;
  sequenceStats(box: string): Promise<SequenceStats>;

  queryQuarantine(filter: QuarantineFilter, page: PageRequest): Promise<Page<StoredQuarantine>>;
  countQuarantine(filter: QuarantineFilter): Promise<readonly QuarantineCount[]>;
  /** Nurse attestations per institution, member of staff and reason (attestation-counts.ts). */
  countAttestations(filter: AttestationFilter): Promise<readonly AttestationCount[]>;

  queryAlerts(filter: AlertFilter, page: PageRequest): Promise<Page<StoredAlert>>;
  unpublishedAlerts(limit: number): Promise<readonly StoredAlert[]>;
  markAlertsPublished(ids: readonly string[], at: number): Promise<void>;

  /**
   * Stores billed lines in one transaction; one outcome per input, in input order. A line already
   * stored (by id) with the same body is a duplicate, with another body a conflict that keeps the
   * stored one: importing the same file twice changes nothing.
   */
  storeBilledItems(items: readonly BilledItemRecord[]): Promise<readonly BilledItemStoreOutcome[]>;
  /** Billed lines newest first by (serviceAt, id), keyset-paged. */
  queryBilledItems(filter: BilledItemFilter, page: PageRequest): Promise<Page<BilledItemRecord>>;

  createApiToken(token: ApiTokenRecord): Promise<void>;
  findApiToken(tokenHash: string): Promise<ApiTokenRecord | undefined>;

  /** Provisioning (gateway/provisioning): one-time tokens, hashed at rest. */
  createProvisioningToken(token: ProvisioningTokenRecord): Promise<void>;
  /** Claims a token for a box key, atomically: one key wins, the same key may claim again. */
  claimProvisioningToken(tokenHash: string, keyId: string, at: number): Promise<TokenClaim>;
  /** The institution's wrapped template key; inserts `candidate` if there is none yet (the first box wins). */
  siteTemplateKey(candidate: SiteTemplateKeyRecord): Promise<SiteTemplateKeyRecord>;

  /** Template sync: stores a sealed template under the next sequence number of its institution. */
  storeTemplate(template: TemplateRecord): Promise<TemplateStoreOutcome>;
  /** An institution's templates with seq > afterSeq, in sequence order. */
  templatesAfter(site: string, afterSeq: number, limit: number): Promise<readonly StoredTemplate[]>;

  /** The alert back end's records (gateway/alerts): cases, audit chain, change feed, webhooks, watch list. */
  alertCases(): AlertCaseStore;
}
