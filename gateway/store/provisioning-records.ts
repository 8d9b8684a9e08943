import type { DeviceRole } from "./gateway-store.js";

/**
 * What the store keeps for provisioning (one-time tokens, each institution's wrapped template key) and
 * for template synchronisation (sealed face templates with a per-institution sequence).
 */

export interface ProvisioningTokenRecord {
  /** SHA-256 hex of the token; the token itself is printed once and never stored. */
  readonly tokenHash: string;
  /** The box id the token provisions. */
  readonly box: string;
  readonly site: string;
  readonly role: DeviceRole;
  /** Station id for a dialysis box, ward for a ward-round box; null if not fixed. */
  readonly location: string | null;
  /** The broker URL the box is to connect to (as the box reaches it, which the gateway cannot know). */
  readonly mqttUrl: string;
  /** The box id may already be registered: its key is replaced (a broken box swapped for a new one). */
  readonly replaceKey: boolean;
  /** Who minted it (for the audit trail). */
  readonly createdBy: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface StoredProvisioningToken extends ProvisioningTokenRecord {
  readonly usedAt: number | null;
  /** Key id of the box key that claimed the token. */
  readonly usedByKey: string | null;
}

/**
 * A claim of a one-time token by a box key. A token already claimed by the same key is claimed again
 * (a retry after a lost answer); by another key it is `used`.
 */
export type TokenClaim =
  | { readonly result: "claimed"; readonly token: StoredProvisioningToken }
  | { readonly result: "unknown" }
  | { readonly result: "expired"; readonly token: StoredProvisioningToken }
  | { readonly result: "used"; readonly token: StoredProvisioningToken };

export interface SiteTemplateKeyRecord {
  readonly site: string;
  readonly keyId: string;
  /** The institution's AES-256 template key wrapped under the gateway's key-wrapping key. */
  readonly wrappedKey: Buffer;
  readonly createdAt: number;
}

export interface TemplateRecord {
  readonly site: string;
  readonly personRef: string;
  /** Model id and version: templates of different models are never compared. */
  readonly model: string;
  /** The institution template key id the template is sealed under. */
  readonly keyId: string;
  readonly sourceBox: string;
  readonly enrolledAt: number;
  readonly receivedAt: number;
  /** SHA-256 hex of `body`: the same upload again is a duplicate. */
  readonly bodyHash: string;
  /** The sealed template as JSON text, as the box uploaded it. */
  readonly body: string;
}

export interface StoredTemplate extends TemplateRecord {
  /** Position in the institution's template sequence: the cursor boxes pull after. */
  readonly seq: number;
}

export type TemplateStoreOutcome = { readonly result: "stored" | "duplicate"; readonly seq: number };
