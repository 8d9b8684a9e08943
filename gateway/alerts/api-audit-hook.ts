import type { FastifyReply, FastifyRequest } from "fastify";
import type { AlertCaseStore } from "../store/alert-case-records.js";

/**
 * Every successful change made through the API lands in the audit chain: billing imports (with the
 * counts the import answered), device registrations and changes, provisioning, and so on. Alert
 * actions, webhook changes and box commands write their own, richer entries and are skipped here. Secrets are never copied into the log.
 */
const SELF_AUDITED = [/^\/api\/v1\/alerts\//, /^\/api\/v1\/webhooks/, /^\/api\/v1\/devices\/:box\/commands$/];
const SECRET_KEY = /secret|token|password|key$/i;

function redacted(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, SECRET_KEY.test(k) ? "(redacted)" : v]));
}

function importCounts(payload: unknown): Record<string, unknown> | null {
  if (typeof payload !== "string") return null;
  try {
    const parsed = JSON.parse(payload) as Record<string, unknown>;
    const { stored, duplicates, conflicts, rejected, encoding } = parsed;
    return { stored, duplicates, conflicts, rejected, encoding };
  } catch {
    return null;
  }
}

function siteOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null || !("site" in value)) return null;
  return typeof value.site === "string" ? value.site : null;
}

export function apiAuditHook(store: AlertCaseStore) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const route = request.routeOptions.url ?? request.url;
    if (request.method === "GET" || request.method === "HEAD" || reply.statusCode >= 300 || SELF_AUDITED.some((r) => r.test(route))) return payload;
    const principal = request.principal;
    const billing = route === "/api/v1/billing";
    await store.appendAudit({
      at: Date.now(),
      actor: principal === null ? "anonymous" : `${principal.role}:${principal.name}`,
      action: billing ? "billing.imported" : `api.${request.method.toLowerCase()}`,
      subject: route,
      site: principal?.site ?? siteOf(request.body) ?? siteOf(request.params),
      detail: { params: request.params ?? null, ...(billing ? { result: importCounts(payload) } : { body: redacted(request.body) }) },
    });
    return payload;
  };
}
