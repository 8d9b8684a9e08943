import { createHash } from "node:crypto";
import { canonicalJson, SealedTemplate, type TemplatePage } from "../../protocol/index.js";
import type { Device, GatewayStore } from "../store/gateway-store.js";
import type { TemplateStoreOutcome } from "../store/provisioning-records.js";

/**
 * Face-template synchronisation between the boxes of one institution, gateway side. A box uploads a
 * template it enrolled, sealed under its institution's key; the gateway checks only what it can see
 * (the uploader is the box it claims to be, of the institution it names) and stores it under the next
 * number of that institution's sequence. Boxes pull the templates after their cursor: a box that was
 * offline for days catches up in order, and a box never sees another institution's templates.
 */
export type TemplateUploadOutcome =
  | { readonly ok: true; readonly stored: TemplateStoreOutcome }
  | { readonly ok: false; readonly reason: "other_site" | "other_box"; readonly detail: string };

export async function acceptTemplate(store: GatewayStore, uploader: Device, template: SealedTemplate, now: number = Date.now()): Promise<TemplateUploadOutcome> {
  if (template.site !== uploader.site) {
    return { ok: false, reason: "other_site", detail: `box ${uploader.box} belongs to ${uploader.site}, the template names ${template.site}` };
  }
  if (template.sourceBox !== uploader.box) {
    return { ok: false, reason: "other_box", detail: `the template names box ${template.sourceBox}, the request is signed by ${uploader.box}` };
  }
  const body = canonicalJson(template);
  const stored = await store.storeTemplate({
    site: template.site,
    personRef: template.personRef,
    model: template.model,
    keyId: template.keyId,
    sourceBox: template.sourceBox,
    enrolledAt: Date.parse(template.enrolledAt),
    receivedAt: now,
    bodyHash: createHash("sha256").update(body).digest("hex"),
    body,
  });
  return { ok: true, stored };
}

export const MAX_TEMPLATE_PAGE = 500;

/** The templates of the box's institution after `after`, as the box receives them. */
export async function templatesForBox(store: GatewayStore, box: Device, after: number, limit: number): Promise<TemplatePage> {
  const rows = await store.templatesAfter(box.site, after, Math.min(limit, MAX_TEMPLATE_PAGE));
  const items = rows.map((row) => ({ seq: row.seq, template: SealedTemplate.parse(JSON.parse(row.body)) }));
  return { items, after: items.at(-1)?.seq ?? after };
}
