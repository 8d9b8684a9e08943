import type { DeviceRole } from "./gateway-store.js";
import type { SiteTemplateKeyRecord, StoredProvisioningToken, StoredTemplate, TemplateRecord, TokenClaim } from "./provisioning-records.js";

/** Column lists and row mappers for the provisioning and template tables, shared by both stores. */

export const PROVISIONING_TOKEN_COLUMNS =
  "token_hash, box, site, role, location, mqtt_url, replace_key, created_by, created_at, expires_at, used_at, used_by_key";

export interface ProvisioningTokenRow {
  token_hash: string;
  box: string;
  site: string;
  role: DeviceRole;
  location: string | null;
  mqtt_url: string;
  /** 0/1 in SQLite, boolean in PostgreSQL. */
  replace_key: number | boolean;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by_key: string | null;
}

export function provisioningTokenFromRow(row: ProvisioningTokenRow): StoredProvisioningToken {
  return {
    tokenHash: row.token_hash,
    box: row.box,
    site: row.site,
    role: row.role,
    location: row.location,
    mqttUrl: row.mqtt_url,
    replaceKey: row.replace_key === true || row.replace_key === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    usedByKey: row.used_by_key,
  };
}

/**
 * What a claim of `token` by `keyId` at `at` comes to, before any write: `claim` means the caller
 * must still mark it used (conditionally, so a concurrent claim by another key cannot also win).
 */
export function decideClaim(token: StoredProvisioningToken | undefined, keyId: string, at: number): TokenClaim | { readonly result: "claim"; readonly token: StoredProvisioningToken } {
  if (token === undefined) return { result: "unknown" };
  if (token.usedByKey === keyId) return { result: "claimed", token };
  if (token.usedByKey !== null) return { result: "used", token };
  if (token.expiresAt <= at) return { result: "expired", token };
  return { result: "claim", token };
}

export interface SiteTemplateKeyRow {
  site: string;
  key_id: string;
  wrapped_key: Buffer;
  created_at: number;
}

export function siteTemplateKeyFromRow(row: SiteTemplateKeyRow): SiteTemplateKeyRecord {
  return { site: row.site, keyId: row.key_id, wrappedKey: row.wrapped_key, createdAt: row.created_at };
}

export const TEMPLATE_COLUMNS = "site, seq, person_ref, model, key_id, source_box, enrolled_at, received_at, body_hash, body";

export interface TemplateRow {
  site: string;
  seq: number;
  person_ref: string;
  model: string;
  key_id: string;
  source_box: string;
  enrolled_at: number;
  received_at: number;
  body_hash: string;
  body: string;
}

export function templateFromRow(row: TemplateRow): StoredTemplate {
  return {
    site: row.site,
    seq: row.seq,
    personRef: row.person_ref,
    model: row.model,
    keyId: row.key_id,
    sourceBox: row.source_box,
    enrolledAt: row.enrolled_at,
    receivedAt: row.received_at,
    bodyHash: row.body_hash,
    body: row.body,
  };
}

/** Values in TEMPLATE_COLUMNS order. */
export function templateValues(template: TemplateRecord, seq: number): (string | number)[] {
  return [
    template.site,
    seq,
    template.personRef,
    template.model,
    template.keyId,
    template.sourceBox,
    template.enrolledAt,
    template.receivedAt,
    template.bodyHash,
    template.body,
  ];
}
