import { decodeMessage, PROTOCOL_VERSION, type CommandMessage, type CommandResponseMessage } from "../../protocol/index.js";

/**
 * The gateway's commands to this box (`cw/v1/{site}/{box}/commands`), judged before anything runs:
 * malformed ones are answered `rejected` with the reason when they carry an id and dropped otherwise,
 * expired ones `expired`, and a command id seen before is not run twice (QoS 1 redelivers). Pure.
 */
export type CommandJudgement =
  | { readonly kind: "run"; readonly command: CommandMessage }
  | { readonly kind: "answer"; readonly response: CommandResponseMessage }
  | { readonly kind: "drop"; readonly detail: string };

/** Commands this agent carries out; any other is answered `rejected`, never silently ignored. */
export const SUPPORTED_COMMANDS: readonly CommandMessage["command"][] = ["watch_list_update", "report_health", "resend_outbox", "sync_templates", "restart_agent"];

export function judgeCommand(payload: Uint8Array, now: number, seen: ReadonlySet<string>): CommandJudgement {
  const decoded = decodeMessage("commands", payload);
  if (!decoded.ok) {
    const id = idOf(payload);
    const detail = `${decoded.violation.reason}: ${decoded.violation.detail}`;
    return id === null ? { kind: "drop", detail } : { kind: "answer", response: commandResponse(id, now, "rejected", detail) };
  }
  const command = decoded.message;
  if (seen.has(command.id)) return { kind: "drop", detail: `command ${command.id} already carried out` };
  if (Date.parse(command.expiresAt) < now) return { kind: "answer", response: commandResponse(command.id, now, "expired", `expired at ${command.expiresAt}`) };
  if (!SUPPORTED_COMMANDS.includes(command.command)) {
    return { kind: "answer", response: commandResponse(command.id, now, "rejected", `${command.command} is not supported by this agent (supported: ${SUPPORTED_COMMANDS.join(", ")})`) };
  }
  if (command.command === "watch_list_update" && command.args.watchList === undefined) {
    return { kind: "answer", response: commandResponse(command.id, now, "rejected", "watch_list_update without args.watchList") };
  }
  if (command.command === "resend_outbox" && command.args.fromSeq === undefined) {
    return { kind: "answer", response: commandResponse(command.id, now, "rejected", "resend_outbox without args.fromSeq") };
  }
  return { kind: "run", command };
}

export function commandResponse(
  commandId: string,
  now: number,
  status: CommandResponseMessage["status"],
  error: string | null,
  data: CommandResponseMessage["data"] = {},
): CommandResponseMessage {
  return { v: PROTOCOL_VERSION, commandId, at: new Date(now).toISOString(), status, error: error === null ? null : error.slice(0, 500), data };
}

/** The id of a command that failed validation, when it has a usable one, so the gateway hears why. */
function idOf(payload: Uint8Array): string | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload).toString("utf8"));
    if (typeof value !== "object" || value === null) return null;
    const id = (value as { id?: unknown }).id;
    return typeof id === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : null;
  } catch {
    return null;
  }
}
