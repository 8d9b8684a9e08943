import { BoxConfig } from "../../firmware-config/box-config.js";
import { decodeMessage } from "../../protocol/index.js";

/**
 * The gateway's retained configuration push (the contract's config message) applied to the box's
 * configuration: a push that does not decode, names another box, or is not newer than what the box
 * runs is refused with its reason, and the box keeps its last good configuration.
 */
export type RemoteConfigOutcome =
  | { readonly applied: true; readonly config: BoxConfig }
  | { readonly applied: false; readonly reason: "invalid_message" | "other_box" | "not_newer"; readonly detail: string };

export function applyConfigPush(current: BoxConfig, payload: Uint8Array): RemoteConfigOutcome {
  const decoded = decodeMessage("config", payload);
  if (!decoded.ok) return { applied: false, reason: "invalid_message", detail: `${decoded.violation.reason}: ${decoded.violation.detail}` };
  const push = decoded.message;
  if (push.box !== current.box.id || push.site !== current.box.site) {
    return { applied: false, reason: "other_box", detail: `push for ${push.site}/${push.box}, this box is ${current.box.site}/${current.box.id}` };
  }
  if (push.revision <= current.revision) {
    return { applied: false, reason: "not_newer", detail: `revision ${push.revision} is not newer than the applied ${current.revision}` };
  }
  const next = BoxConfig.parse({
    ...current,
    revision: push.revision,
    behaviour: push.settings,
    roster: push.roster,
  });
  return { applied: true, config: next };
}
