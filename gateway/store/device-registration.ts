import type { Device, DeviceRegistration } from "./gateway-store.js";

/**
 * What registering a box does to an existing registration. Both stores apply the same rules:
 * - the same registration again is `unchanged` (registering is idempotent, e.g. from a config file);
 * - anything different (the key, but also site, role or location: the site decides which topics the
 *   box may publish on) is a `conflict` that changes nothing, unless the caller asks to replace it;
 * - a replacement overwrites the registration and keeps `enabled` and `registeredAt`: a box disabled
 *   because it was lost stays disabled until someone enables it.
 */
export type RegistrationDecision =
  | { readonly action: "insert" }
  | { readonly action: "keep" }
  | { readonly action: "replace" }
  | { readonly action: "refuse"; readonly detail: string };

const COMPARED_FIELDS = ["publicKey", "keyId", "site", "role", "location"] as const;

export function decideRegistration(
  existing: Device | undefined,
  registration: DeviceRegistration,
  replaceKey: boolean,
): RegistrationDecision {
  if (existing === undefined) return { action: "insert" };
  const differing = COMPARED_FIELDS.filter((field) => existing[field] !== registration[field]);
  if (differing.length === 0) return { action: "keep" };
  if (replaceKey) return { action: "replace" };
  return {
    action: "refuse",
    detail:
      `box ${existing.box} is already registered (key id ${existing.keyId}, site ${existing.site}); ` +
      `the new registration differs in ${differing.join(", ")}`,
  };
}
