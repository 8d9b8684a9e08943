import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomically } from "../../firmware-config/box-config-file.js";
import { PROTOCOL_VERSION, type SealedTemplate } from "../../protocol/index.js";
import type { SealedTemplateRow, TemplateStore } from "../face/template-store.js";
import type { SyncCall, TemplateSyncClient } from "./template-sync-client.js";

/**
 * Face-template synchronisation between the boxes of one institution, box side. A template this box
 * enrolled is uploaded as stored (sealed under the institution's template key); templates the other
 * boxes enrolled are pulled after a cursor kept in a file, checked and stored. A template that does
 * not belong (another key, another institution) or does not open is skipped with its reason and never
 * stops the rest; its model id travels with it, and the template store only ever compares templates
 * of the same model.
 */
export interface SyncScope {
  readonly site: string;
  readonly box: string;
  /** The institution template key id from provisioning. */
  readonly templateKeyId: string;
}

export type TemplateSkipReason = "other_site" | "other_key" | "does_not_open";

export interface PullReport {
  readonly imported: number;
  /** Already held, or an older enrolment than the one held. */
  readonly unchanged: number;
  readonly skipped: readonly { readonly seq: number; readonly reason: TemplateSkipReason; readonly detail: string }[];
  readonly after: number;
  /** Set when the last call failed; what was pulled before it is kept and the cursor stands after it. */
  readonly problem: string | null;
}

/** The template as this box uploads it. */
export function sealedTemplateOf(row: SealedTemplateRow, scope: SyncScope): SealedTemplate {
  return {
    v: PROTOCOL_VERSION,
    site: scope.site,
    sourceBox: scope.box,
    personRef: row.personRef,
    model: row.model,
    keyId: scope.templateKeyId,
    iv: row.iv.toString("base64url"),
    tag: row.tag.toString("base64url"),
    ciphertext: row.ciphertext.toString("base64url"),
    frames: row.frames,
    enrolledAt: new Date(row.enrolledAt).toISOString(),
  };
}

export function rowOf(template: SealedTemplate): SealedTemplateRow {
  return {
    personRef: template.personRef,
    model: template.model,
    iv: Buffer.from(template.iv, "base64url"),
    tag: Buffer.from(template.tag, "base64url"),
    ciphertext: Buffer.from(template.ciphertext, "base64url"),
    frames: template.frames,
    enrolledAt: Date.parse(template.enrolledAt),
  };
}

/** Uploads one enrolment of this box; `missing` when the store holds no such template. */
export async function uploadEnrolment(
  client: TemplateSyncClient,
  store: Pick<TemplateStore, "sealed">,
  scope: SyncScope,
  personRef: string,
  model: string,
): Promise<SyncCall<{ result: "stored" | "duplicate"; seq: number }> | { readonly ok: false; readonly problem: "missing"; readonly detail: string }> {
  const row = store.sealed(personRef, model);
  if (row === undefined) return { ok: false, problem: "missing", detail: `no template of ${personRef.slice(0, 8)}… for ${model}` };
  return client.upload(sealedTemplateOf(row, scope));
}

/** The pull cursor, in a small file beside the template store (written atomically). */
export function readSyncCursor(path: string): number {
  if (!existsSync(path)) return 0;
  try {
    const value = (JSON.parse(readFileSync(path, "utf8")) as { after?: unknown }).after;
    return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    // A damaged cursor costs one full re-pull, which is idempotent.
    return 0;
  }
}

export function writeSyncCursor(path: string, after: number): void {
  writeFileAtomically(path, `${JSON.stringify({ after })}\n`);
}

export async function pullTemplates(
  client: TemplateSyncClient,
  store: Pick<TemplateStore, "putSealed">,
  scope: SyncScope,
  cursorPath: string,
  pageSize = 100,
): Promise<PullReport> {
  let after = readSyncCursor(cursorPath);
  let imported = 0;
  let unchanged = 0;
  const skipped: { seq: number; reason: TemplateSkipReason; detail: string }[] = [];
  for (;;) {
    const page = await client.pull(after, pageSize);
    if (!page.ok) return { imported, unchanged, skipped, after, problem: `${page.problem}: ${page.detail}` };
    for (const { seq, template } of page.value.items) {
      const outcome = importOne(store, scope, template);
      if (outcome === "stored") imported++;
      else if (outcome === "kept_newer") unchanged++;
      else skipped.push({ seq, ...outcome });
    }
    if (page.value.items.length === 0) return { imported, unchanged, skipped, after, problem: null };
    after = page.value.after;
    writeSyncCursor(cursorPath, after);
  }
}

function importOne(store: Pick<TemplateStore, "putSealed">, scope: SyncScope, template: SealedTemplate): "stored" | "kept_newer" | { reason: TemplateSkipReason; detail: string } {
  if (template.site !== scope.site) return { reason: "other_site", detail: `template of ${template.site}, this box is of ${scope.site}` };
  if (template.keyId !== scope.templateKeyId) return { reason: "other_key", detail: `sealed under ${template.keyId}, this box holds ${scope.templateKeyId}` };
  try {
    return store.putSealed(rowOf(template));
  } catch (error) {
    return { reason: "does_not_open", detail: (error as Error).message };
  }
}
