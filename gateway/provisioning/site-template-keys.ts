import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import type { GatewayStore } from "../store/gateway-store.js";

/**
 * Each institution's face-template key. Boxes of one institution share it (a patient enrolled at one
 * station is recognised at every other); the gateway hands it to a box at provisioning and otherwise
 * never uses it: templates pass through the gateway sealed. In the database the key exists only
 * wrapped (AES-256-GCM, associated data = site and key id) under a key-wrapping key derived from the
 * gateway's deployment secret, which is configuration, not data: a copy of the database or a backup
 * reveals no template. See gateway/provisioning/README.md for the choice and its limits.
 */
export class SiteKeyError extends Error {
  constructor(
    readonly code: "unwrap_failed",
    message: string,
  ) {
    super(message);
    this.name = "SiteKeyError";
  }
}

export interface SiteTemplateKey {
  readonly keyId: string;
  readonly key: Buffer;
}

/** HKDF-SHA256 (RFC 5869) with its own label, so the wrapping key is never the secret itself. */
export function keyWrappingKey(deploymentSecret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", deploymentSecret, "carewitness", "site-template-key-wrapping-v1", 32));
}

/**
 * The id of the deployment pseudonym key a box is given, derived from the key so every gateway of a
 * deployment names it alike: `pk-` and 12 hex of SHA-256 over a label and the key.
 */
export function pseudonymKeyIdOf(pseudonymKey: Uint8Array): string {
  return `pk-${createHash("sha256").update("carewitness-pseudonym-key-id-v1|").update(pseudonymKey).digest("hex").slice(0, 12)}`;
}

function associatedData(site: string, keyId: string): Buffer {
  return Buffer.from(`carewitness-site-template-key-v1|${site}|${keyId}`, "utf8");
}

export function wrapSiteKey(kek: Buffer, site: string, keyId: string, key: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", kek, iv);
  cipher.setAAD(associatedData(site, keyId));
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

export function unwrapSiteKey(kek: Buffer, site: string, keyId: string, wrapped: Buffer): Buffer {
  try {
    const decipher = createDecipheriv("aes-256-gcm", kek, wrapped.subarray(0, 12));
    decipher.setAAD(associatedData(site, keyId));
    decipher.setAuthTag(wrapped.subarray(12, 28));
    return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
  } catch {
    throw new SiteKeyError("unwrap_failed", `the template key of ${site} (${keyId}) does not unwrap: another deployment secret, or a tampered row`);
  }
}

/** The institution's template key, created on first use; racing gateways agree on the first one stored. */
export async function siteTemplateKey(store: GatewayStore, kek: Buffer, site: string, now: number = Date.now()): Promise<SiteTemplateKey> {
  const keyId = `tk-${randomBytes(6).toString("hex")}`;
  const candidate = randomBytes(32);
  const stored = await store.siteTemplateKey({ site, keyId, wrappedKey: wrapSiteKey(kek, site, keyId, candidate), createdAt: now });
  return { keyId: stored.keyId, key: unwrapSiteKey(kek, site, stored.keyId, stored.wrappedKey) };
}
