import { decodeMessage, violation, type ProtocolViolation } from "../../protocol/index.js";
import type { GatewayStore } from "../store/gateway-store.js";
import { quarantineBoxMessage, type BoxMessageContext, type BoxTopic } from "./quarantine-record.js";

/**
 * Retained status and last-will messages → the device registry's online/offline state and history.
 * A malformed status is quarantined like any other bad message.
 */
export async function ingestStatus(
  store: GatewayStore,
  topic: BoxTopic,
  payload: Buffer,
  context: BoxMessageContext,
): Promise<"recorded" | "quarantined" | "ignored"> {
  // An empty retained payload clears the retained status (MQTT-3.3.1-10): nothing to record.
  if (payload.byteLength === 0) return "ignored";
  const decoded = decodeMessage("status", payload);
  let problem: ProtocolViolation | null = decoded.ok ? null : decoded.violation;
  if (decoded.ok && (decoded.message.site !== topic.site || decoded.message.box !== topic.box)) {
    problem = violation("topic_mismatch", `status names ${decoded.message.site}/${decoded.message.box} on the topic of ${topic.site}/${topic.box}`).violation;
  }
  if (decoded.ok && problem === null) {
    const device = await store.getDevice(topic.box);
    if (device === undefined) problem = violation("unknown_box", `status from unregistered box ${topic.box}`).violation;
  }
  if (problem !== null || !decoded.ok) {
    const v = problem ?? violation("schema_invalid", "status did not decode").violation;
    await quarantineBoxMessage(store, topic, payload, v, context);
    return "quarantined";
  }
  const status = decoded.message;
  // Ordered by arrival, not by the box's clock: a last will carries the time its box connected (it is
  // composed then), so it is always older than the `online` that followed, yet it reports a later
  // fact. The broker keeps one topic's messages in order; the box's own time stays in the body.
  await store.recordStatus({
    box: status.box,
    state: status.state,
    reason: status.reason,
    at: context.receivedAt,
    receivedAt: context.receivedAt,
    body: JSON.stringify(status),
  });
  return "recorded";
}
