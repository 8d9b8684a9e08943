import { createHash } from "node:crypto";
import type { ProtocolViolation } from "../../protocol/index.js";
import type { GatewayStore, QuarantineRecord } from "../store/gateway-store.js";

/** What the quarantine table keeps of one rejected message: why, where from, and the raw bytes (capped). */
export function quarantineRecord(input: {
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: number;
  readonly site: string | null;
  readonly box: string | null;
  readonly eventId: string | null;
  readonly violation: ProtocolViolation;
  readonly payloadCapBytes: number;
  readonly gatewayId: string;
}): QuarantineRecord {
  return {
    receivedAt: input.receivedAt,
    topic: input.topic,
    site: input.site,
    box: input.box,
    eventId: input.eventId,
    step: input.violation.step,
    reason: input.violation.reason,
    detail: input.violation.detail,
    payload: input.payload.subarray(0, input.payloadCapBytes),
    payloadBytes: input.payload.byteLength,
    // Over topic and the whole payload: the same bad message delivered again counts, it does not add a row.
    payloadHash: createHash("sha256").update(input.topic).update("\n").update(input.payload).digest("hex"),
    gatewayId: input.gatewayId,
  };
}

/** The box topic a non-event message (status, command answer) arrived on. */
export interface BoxTopic {
  readonly raw: string;
  readonly site: string;
  readonly box: string;
}

/** What the gateway knows beside a box's message when it takes it in. */
export interface BoxMessageContext {
  readonly receivedAt: number;
  readonly gatewayId: string;
  readonly payloadCapBytes: number;
}

/** Quarantines a box's non-event message with its reason (events go through the ingest pipeline's batches). */
export async function quarantineBoxMessage(store: GatewayStore, topic: BoxTopic, payload: Buffer, violation: ProtocolViolation, context: BoxMessageContext): Promise<void> {
  await store.commitBatch({
    events: [],
    alerts: [],
    quarantine: [quarantineRecord({ site: topic.site, box: topic.box, topic: topic.raw, payload, receivedAt: context.receivedAt, eventId: null, violation, payloadCapBytes: context.payloadCapBytes, gatewayId: context.gatewayId })],
  });
}
