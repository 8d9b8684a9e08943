import { z } from "zod";
import {
  ALERT_KINDS,
  AlertMessage,
  BoxId,
  EVENT_KINDS,
  EventMessage,
  OUTCOMES,
  PIPELINE_STEPS,
  PersonRef,
  QUARANTINE_REASONS,
  SiteId,
} from "../../protocol/index.js";
import { DEVICE_ROLES } from "../store/gateway-store.js";

/** Request and response shapes of the REST API; fastify validates with them and OpenAPI is generated from them. */
export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const isoOrMs = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,15}$/)])
  .transform((value) => (/^\d+$/.test(value) ? Number(value) : Date.parse(value)))
  .describe("RFC 3339 timestamp or milliseconds since the epoch.");

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(500).optional().describe("Cursor from the previous page's nextCursor."),
};

export const RangeQuery = { from: isoOrMs.optional(), to: isoOrMs.optional() };

export const DeviceRegistrationBody = z.strictObject({
  box: BoxId,
  site: SiteId,
  role: z.enum(DEVICE_ROLES as ["dialysis_station", "ward_round"]),
  location: z.string().min(1).max(64).nullable().default(null),
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "publicKey: raw 32-byte Ed25519 key in base64url (43 characters)"),
});

export const DeviceView = z.object({
  box: z.string(),
  site: z.string(),
  role: z.string(),
  location: z.string().nullable(),
  publicKey: z.string(),
  keyId: z.string(),
  enabled: z.boolean(),
  registeredAt: z.string(),
  state: z.enum(["online", "offline"]).nullable(),
  stateChangedAt: z.string().nullable(),
});

export const DeviceDetail = DeviceView.extend({
  sequence: z.object({ stored: z.number(), maxSeq: z.number(), missing: z.number() }),
});

export const StatusHistoryItem = z.object({
  state: z.enum(["online", "offline"]),
  reason: z.string(),
  at: z.string(),
  receivedAt: z.string(),
});

export const EventQuery = z.strictObject({
  site: SiteId.optional(),
  box: BoxId.optional(),
  kind: z.enum(EVENT_KINDS).optional(),
  outcome: z.enum(OUTCOMES).optional(),
  subjectRef: PersonRef.optional(),
  ...RangeQuery,
  ...PageQuery,
});

export const StoredEventView = z.object({
  event: EventMessage,
  receivedAt: z.string(),
  gatewayId: z.string(),
});

export const QuarantineQuery = z.strictObject({
  site: SiteId.optional(),
  box: BoxId.optional(),
  reason: z.enum(QUARANTINE_REASONS).optional(),
  step: z.enum(PIPELINE_STEPS).optional(),
  ...RangeQuery,
  ...PageQuery,
});

export const QuarantineView = z.object({
  id: z.number(),
  receivedAt: z.string(),
  lastSeenAt: z.string(),
  occurrences: z.number(),
  topic: z.string(),
  site: z.string().nullable(),
  box: z.string().nullable(),
  eventId: z.string().nullable(),
  step: z.enum(PIPELINE_STEPS),
  reason: z.enum(QUARANTINE_REASONS),
  detail: z.string(),
  payloadBytes: z.number(),
  payloadBase64: z.string().describe("The raw payload as received, capped at the gateway's quarantine limit."),
});

export const QuarantineCountsView = z.object({
  total: z.object({ messages: z.number(), occurrences: z.number() }),
  byReason: z.array(z.object({ reason: z.enum(QUARANTINE_REASONS), step: z.enum(PIPELINE_STEPS), messages: z.number(), occurrences: z.number() })),
});

export const AlertQuery = z.strictObject({
  site: SiteId.optional(),
  kind: z.enum(ALERT_KINDS).optional(),
  ...RangeQuery,
  ...PageQuery,
});

export const AlertView = z.object({ alert: AlertMessage, publishedAt: z.string().nullable() });

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
