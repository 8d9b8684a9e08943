import { keyIdOf, PROTOCOL_VERSION, publicKeyFromRaw, type ProvisioningGrant, type ProvisioningRefusal, type ProvisioningRequest } from "../../protocol/index.js";
import { hashApiToken } from "../http/api-auth.js";
import type { GatewayStore } from "../store/gateway-store.js";
import { keyWrappingKey, pseudonymKeyIdOf, siteTemplateKey } from "./site-template-keys.js";

/**
 * A box's provisioning, as the gateway does it: the one-time token is claimed for the box's key
 * (single use; the same key may retry after a lost answer), the key is registered under the box id
 * the token names, and the box gets who it is, where its broker is, the deployment pseudonym key and
 * its institution's template key.
 */
export type ProvisioningOutcome =
  | { readonly ok: true; readonly grant: ProvisioningGrant; readonly created: boolean }
  | { readonly ok: false; readonly reason: ProvisioningRefusal | "bad_public_key"; readonly detail: string };

export interface ProvisioningDeps {
  readonly store: GatewayStore;
  /** The deployment pseudonym key; without it nothing can be provisioned. */
  readonly pseudonymKey: Uint8Array | null;
  /**
   * The secret the institution template keys are wrapped under in the store (through HKDF); default
   * the pseudonym key. A separate secret known only to gateways is better (README: limits).
   */
  readonly keyWrappingSecret?: Uint8Array | null | undefined;
  /** Called after a box's registration changed, so the ingest key cache forgets it. */
  readonly onDeviceChanged?: ((box: string) => void) | undefined;
  readonly now?: (() => number) | undefined;
}

export async function provisionBox(deps: ProvisioningDeps, request: ProvisioningRequest): Promise<ProvisioningOutcome> {
  if (deps.pseudonymKey === null) {
    return { ok: false, reason: "provisioning_unavailable", detail: "this gateway runs without a pseudonym key (--pseudonym-key), so it cannot provision boxes" };
  }
  let keyId: string;
  try {
    keyId = keyIdOf(publicKeyFromRaw(request.publicKey));
  } catch (error) {
    return { ok: false, reason: "bad_public_key", detail: `publicKey is not an Ed25519 key: ${(error as Error).message}` };
  }
  const now = (deps.now ?? Date.now)();
  const claim = await deps.store.claimProvisioningToken(hashApiToken(request.token), keyId, now);
  switch (claim.result) {
    case "unknown":
      return { ok: false, reason: "token_unknown", detail: "no such provisioning token" };
    case "expired":
      return { ok: false, reason: "token_expired", detail: `the token expired at ${new Date(claim.token.expiresAt).toISOString()}` };
    case "used":
      return { ok: false, reason: "token_used", detail: `the token was used at ${new Date(claim.token.usedAt ?? 0).toISOString()} by another key` };
    case "claimed":
      break;
  }
  const token = claim.token;
  const registered = await deps.store.registerDevice(
    { box: token.box, site: token.site, role: token.role, location: token.location, publicKey: request.publicKey, keyId },
    { replaceKey: token.replaceKey },
  );
  if (registered.result === "conflict") {
    return { ok: false, reason: "box_key_conflict", detail: `${registered.detail}; mint a token with --replace-key to give box ${token.box} a new key` };
  }
  if (registered.result !== "unchanged") deps.onDeviceChanged?.(token.box);
  const templateKey = await siteTemplateKey(deps.store, keyWrappingKey(deps.keyWrappingSecret ?? deps.pseudonymKey), token.site, now);
  return {
    ok: true,
    created: registered.result !== "unchanged",
    grant: {
      v: PROTOCOL_VERSION,
      box: token.box,
      site: token.site,
      role: token.role,
      location: token.location,
      keyId,
      mqttUrl: token.mqttUrl,
      pseudonymKey: Buffer.from(deps.pseudonymKey).toString("hex"),
      pseudonymKeyId: pseudonymKeyIdOf(deps.pseudonymKey),
      templateKey: templateKey.key.toString("base64url"),
      templateKeyId: templateKey.keyId,
    },
  };
}
