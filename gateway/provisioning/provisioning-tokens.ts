import { randomBytes } from "node:crypto";
import { hashApiToken } from "../http/api-auth.js";
import type { GatewayStore } from "../store/gateway-store.js";
import type { ProvisioningTokenRecord } from "../store/provisioning-records.js";

/**
 * One-time provisioning tokens: random 32 bytes shown once to the administrator (who types or pastes
 * it on the box); the store keeps only its SHA-256, the box it provisions and an expiry.
 */
export const DEFAULT_TOKEN_LIFETIME_MS = 24 * 3600_000;

export type ProvisioningTokenSpec = Omit<ProvisioningTokenRecord, "tokenHash" | "createdAt" | "expiresAt"> & {
  /** How long the token may be redeemed; default 24 h. */
  readonly lifetimeMs?: number | undefined;
};

export async function mintProvisioningToken(
  store: GatewayStore,
  spec: ProvisioningTokenSpec,
  now: number = Date.now(),
): Promise<{ readonly token: string; readonly record: ProvisioningTokenRecord }> {
  const lifetimeMs = spec.lifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS;
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0) throw new RangeError(`token lifetime must be a positive number of ms, got ${lifetimeMs}`);
  const token = `cwp_${randomBytes(32).toString("base64url")}`;
  const record: ProvisioningTokenRecord = {
    tokenHash: hashApiToken(token),
    box: spec.box,
    site: spec.site,
    role: spec.role,
    location: spec.location,
    mqttUrl: spec.mqttUrl,
    replaceKey: spec.replaceKey,
    createdBy: spec.createdBy,
    createdAt: now,
    expiresAt: now + lifetimeMs,
  };
  await store.createProvisioningToken(record);
  return { token, record };
}
