import { decodeMessage, violation, type ProtocolViolation } from "../../protocol/index.js";
import type { GatewayStore } from "../store/gateway-store.js";
import { quarantineBoxMessage, type BoxMessageContext, type BoxTopic } from "./quarantine-record.js";

/**
 * A box's answer to a command (`cw/v1/{site}/{box}/responses`) → the audit log, as
 * device.command_answered with the command id, so an operator who sent a command through the API
 * (device.command_sent) finds what the box did with it. A malformed answer, or one from a box not
 * registered at that institution, is quarantined with its reason like any other bad message.
 */
export async function recordCommandResponse(
  store: GatewayStore,
  topic: BoxTopic,
  payload: Buffer,
  context: BoxMessageContext,
): Promise<"recorded" | "quarantined"> {
  const decoded = decodeMessage("responses", payload);
  let problem: ProtocolViolation | null = decoded.ok ? null : decoded.violation;
  if (problem === null) {
    const device = await store.getDevice(topic.box);
    if (device === undefined || device.site !== topic.site) problem = violation("unknown_box", `command answer from ${topic.site}/${topic.box}, which is not registered there`).violation;
  }
  if (problem !== null || !decoded.ok) {
    const v = problem ?? violation("schema_invalid", "command answer did not decode").violation;
    await quarantineBoxMessage(store, topic, payload, v, context);
    return "quarantined";
  }
  const answer = decoded.message;
  await store.alertCases().appendAudit({
    at: context.receivedAt,
    actor: `box:${topic.box}`,
    action: "device.command_answered",
    subject: `device/${topic.box}`,
    site: topic.site,
    detail: { commandId: answer.commandId, status: answer.status, error: answer.error, data: answer.data, answeredAt: answer.at },
  });
  return "recorded";
}
