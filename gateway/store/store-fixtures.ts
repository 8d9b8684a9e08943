import { createHash } from "node:crypto";
import type { AlertKind, EventKind, Outcome, PipelineStep, QuarantineReason } from "../../protocol/index.js";
import type { AlertRecord, BilledItemRecord, DeviceRegistration, EventRecord, QuarantineRecord } from "./gateway-store.js";

/**
 * Records for the store contract (store-contract.ts). Bodies are JSON of the record's own fields, so
 * two records hash equal exactly when they are the same event, as with real canonical bodies.
 */

function sha256(data: string | Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}

/** A UUIDv7-shaped id whose text order follows n. */
export function eventId(n: number): string {
  return `0190a000-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;
}

export function registration(box: string, fields: Partial<DeviceRegistration> & { keySeed?: string } = {}): DeviceRegistration {
  const { keySeed, ...rest } = fields;
  const rawKey = sha256(`key:${box}:${keySeed ?? "1"}`);
  return {
    box,
    site: "site-a",
    role: "dialysis_station",
    location: "station-1",
    publicKey: rawKey.toString("base64url"),
    keyId: sha256(rawKey).toString("hex").slice(0, 16),
    ...rest,
  };
}

export interface EventFields {
  readonly n: number;
  readonly box: string;
  readonly seq: number;
  readonly site?: string;
  readonly kind?: EventKind;
  readonly outcome?: Outcome;
  readonly occurredAt?: number;
  readonly subjectRef?: string | null;
  /** Changes the body (and so its hash) without changing the id: a replay with other content. */
  readonly variant?: string;
}

export function event(fields: EventFields): EventRecord {
  const occurredAt = fields.occurredAt ?? 1_700_000_000_000 + fields.n * 1000;
  const base = {
    id: eventId(fields.n),
    site: fields.site ?? "site-a",
    box: fields.box,
    seq: fields.seq,
    kind: fields.kind ?? "dialysis.check_in",
    outcome: fields.outcome ?? "verified",
    occurredAt,
    subjectRef: fields.subjectRef === undefined ? null : fields.subjectRef,
  };
  const body = JSON.stringify({ ...base, variant: fields.variant ?? "original" });
  return {
    ...base,
    receivedAt: occurredAt + 250,
    bodyHash: sha256(body).toString("hex"),
    body,
    gatewayId: "gw-test",
  };
}

export interface QuarantineFields {
  readonly payload: Buffer | string;
  readonly receivedAt: number;
  readonly reason?: QuarantineReason;
  readonly step?: PipelineStep;
  readonly site?: string | null;
  readonly box?: string | null;
  readonly topic?: string;
}

export function quarantine(fields: QuarantineFields): QuarantineRecord {
  const payload = typeof fields.payload === "string" ? Buffer.from(fields.payload, "utf8") : fields.payload;
  const site = fields.site === undefined ? "site-a" : fields.site;
  const box = fields.box === undefined ? "box-1" : fields.box;
  const topic = fields.topic ?? `cw/v1/${site ?? "unknown"}/${box ?? "unknown"}/events`;
  return {
    receivedAt: fields.receivedAt,
    topic,
    site,
    box,
    eventId: null,
    step: fields.step ?? "parse",
    reason: fields.reason ?? "invalid_json",
    detail: "Unexpected end of JSON input",
    payload,
    payloadBytes: payload.length,
    payloadHash: sha256(Buffer.concat([Buffer.from(`${topic}\u0000`), payload])).toString("hex"),
    gatewayId: "gw-test",
  };
}

export interface AlertFields {
  readonly cause: string;
  readonly raisedAt: number;
  readonly kind?: AlertKind;
  readonly site?: string;
  readonly subjectRef?: string | null;
}

export function alert(fields: AlertFields): AlertRecord {
  const kind = fields.kind ?? "impersonation_suspected";
  const id = sha256(`${kind}:${fields.cause}`).toString("hex").slice(0, 32);
  const site = fields.site ?? "site-a";
  return {
    id,
    kind,
    site,
    raisedAt: fields.raisedAt,
    subjectRef: fields.subjectRef === undefined ? null : fields.subjectRef,
    body: JSON.stringify({ id, kind, site, cause: fields.cause }),
  };
}

/** The store's listing order: newest first, ties broken by id descending (byte order). */
export function newestFirst<T extends { readonly id: string | number }>(timeOf: (item: T) => number) {
  return (a: T, b: T): number => {
    const byTime = timeOf(b) - timeOf(a);
    if (byTime !== 0) return byTime;
    if (typeof a.id === "number" && typeof b.id === "number") return b.id - a.id;
    return String(b.id) < String(a.id) ? -1 : String(b.id) > String(a.id) ? 1 : 0;
  };
}

/** A billed line; its body is JSON of its own fields plus `variant`, so another variant is another body. */
export function billedItem(fields: { n: number; institution?: string; patient?: number; category?: string; serviceAt?: number; variant?: string }): BilledItemRecord {
  const institution = fields.institution ?? "H50010600123";
  const lineId = `L${String(fields.n).padStart(6, "0")}`;
  const patientRef = sha256(`patient:${fields.patient ?? fields.n % 3}`).toString("hex");
  const category = fields.category ?? "haemodialysis";
  const serviceAt = fields.serviceAt ?? 1_764_000_000_000 + fields.n * 3_600_000;
  const body = JSON.stringify({ institution, lineId, patientRef, category, serviceAt, variant: fields.variant ?? "a" });
  return { id: `${institution}/${lineId}`, institution, lineId, patientRef, category, serviceAt, bodyHash: sha256(body).toString("hex"), body, importedAt: 1_765_000_000_000 };
}
