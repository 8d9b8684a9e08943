import { createHash, type KeyObject } from "node:crypto";
import {
  decodeJson,
  eventSigningBytes,
  publicKeyFromRaw,
  TOPICS,
  validateMessage,
  verifyEventSignature,
  violation,
  type EventMessage,
  type ProtocolViolation,
} from "../../protocol/index.js";

/**
 * parse → validate → authenticate for one event payload. Pure apart from the key cache, so it runs
 * the same on the main thread and in the verifier worker threads.
 */
export interface RegisteredKey {
  /** Raw Ed25519 public key, base64url. */
  readonly raw: string;
  readonly keyId: string;
  readonly enabled: boolean;
}

export interface EventSummary {
  readonly id: string;
  readonly site: string;
  readonly box: string;
  readonly seq: number;
  readonly kind: EventMessage["kind"];
  readonly outcome: EventMessage["verification"]["outcome"];
  readonly subjectRef: string | null;
}

export interface InspectRequest {
  readonly payload: Uint8Array;
  /** Site and box from the topic the payload arrived on. */
  readonly site: string;
  readonly box: string;
  /** The box's registered key; null when no such box is registered. */
  readonly key: RegisteredKey | null;
  readonly receivedAt: number;
  readonly maxClockSkewMs: number;
  readonly maxEventAgeMs: number;
}

export type InspectResult =
  | {
      readonly ok: true;
      /** What ingest needs of the event; the whole event travels as `body`. */
      readonly event: EventSummary;
      readonly occurredAt: number;
      /** The validated event as JSON text. */
      readonly body: string;
      /**
       * SHA-256 over the signing bytes and the signature: the identity of the signed content, whatever
       * whitespace or member order the box used. Equal hashes under one id are duplicates.
       */
      readonly bodyHash: string;
      readonly payloadSha256: string;
    }
  | {
      readonly ok: false;
      readonly violation: ProtocolViolation;
      /** Known once the payload validated: lets the gateway ack the rejection to the box. */
      readonly event: { readonly id: string; readonly seq: number } | null;
      readonly payloadSha256: string;
    };

const keyCache = new Map<string, KeyObject>();

function keyObject(raw: string): KeyObject {
  let key = keyCache.get(raw);
  if (key === undefined) {
    key = publicKeyFromRaw(raw);
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(raw, key);
  }
  return key;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function inspectEvent(request: InspectRequest): InspectResult {
  const payloadSha256 = sha256Hex(request.payload);
  const reject = (v: ProtocolViolation, event: EventMessage | null): InspectResult => ({
    ok: false,
    violation: v,
    event: event === null ? null : { id: event.id, seq: event.seq },
    payloadSha256,
  });

  const json = decodeJson(request.payload, TOPICS.events.maxPayloadBytes);
  if (!json.ok) return reject(json.violation, null);
  const validated = validateMessage("events", json.message);
  if (!validated.ok) return reject(validated.violation, null);
  const event = validated.message;

  if (event.site !== request.site || event.box !== request.box) {
    const detail = `payload names ${event.site}/${event.box} but arrived on the topic of ${request.site}/${request.box}`;
    return reject(violation("topic_mismatch", detail).violation, event);
  }
  const { key } = request;
  if (key === null) return reject(violation("unknown_box", `box ${event.box} is not registered`).violation, event);
  if (!key.enabled) return reject(violation("box_disabled", `box ${event.box} is disabled`).violation, event);
  const signingBytes = eventSigningBytes(event);
  const signature = verifyEventSignature(event, keyObject(key.raw), key.keyId, signingBytes);
  if (!signature.ok) return reject(violation(signature.reason, signature.detail).violation, event);

  // Clock rules come after the signature: an unauthenticated time is not worth judging.
  const occurredAt = Date.parse(event.clock.at);
  const ahead = occurredAt - request.receivedAt;
  if (ahead > request.maxClockSkewMs) {
    const detail = `event time ${event.clock.at} is ${Math.round(ahead / 1000)} s ahead of the gateway (allowed ${request.maxClockSkewMs / 1000} s)`;
    return reject(violation("clock_in_future", detail).violation, event);
  }
  if (-ahead > request.maxEventAgeMs) {
    const detail = `event time ${event.clock.at} is older than the ${Math.round(request.maxEventAgeMs / 3600_000)} h an outbox may hold events`;
    return reject(violation("clock_too_old", detail).violation, event);
  }
  const bodyHash = createHash("sha256").update(signingBytes).update("\n").update(event.sig.value).digest("hex");
  const summary: EventSummary = {
    id: event.id,
    site: event.site,
    box: event.box,
    seq: event.seq,
    kind: event.kind,
    outcome: event.verification.outcome,
    subjectRef: event.subject.ref,
  };
  return { ok: true, event: summary, occurredAt, body: JSON.stringify(event), bodyHash, payloadSha256 };
}
