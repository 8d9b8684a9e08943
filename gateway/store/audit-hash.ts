import { createHash } from "node:crypto";
import { canonicalJson } from "../../protocol/index.js";

/**
 * The audit log's hash chain: each entry's hash is SHA-256 over the previous entry's hash, a newline
 * and the entry's canonical body (RFC 8785 JSON of seq, at, actor, action, subject, site and the detail
 * text). Editing, deleting or reordering any entry therefore breaks the link at that entry.
 */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

export interface AuditBody {
  readonly seq: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly site: string | null;
  /** Canonical JSON text of the entry's detail. */
  readonly detail: string;
}

export function auditEntryHash(prevHash: string, body: AuditBody): string {
  const { seq, at, actor, action, subject, site, detail } = body;
  return createHash("sha256").update(`${prevHash}\n${canonicalJson({ seq, at, actor, action, subject, site, detail })}`, "utf8").digest("hex");
}
