import { createHash } from "node:crypto";
import type { AlertKind } from "./messages/alert.js";

/**
 * An alert's id is a function of what caused it: its kind and the sorted ids of the facts behind it
 * (event ids, billing-record ids). Delivering the same events twice therefore yields the same id, and
 * the store's uniqueness on it means the alert is raised once.
 */
export function alertId(kind: AlertKind, causeIds: readonly string[]): string {
  const cause = [...causeIds].sort().join(",");
  return createHash("sha256").update(`${kind}|${cause}`).digest("hex").slice(0, 32);
}
