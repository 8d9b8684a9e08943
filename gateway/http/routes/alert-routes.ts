import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ALERT_KINDS, ALERT_RULES, SiteId } from "../../../protocol/index.js";
import type { AlertDesk } from "../../alerts/alert-desk.js";
import { ALERT_ACTIONS, allowedActions } from "../../alerts/alert-lifecycle.js";
import { adoptIngestAlerts } from "../../alerts/ingest-adoption.js";
import { AlertCaseView, AlertTransitionView, alertCaseView, transitionView } from "../../alerts/alert-view.js";
import { collectEvidence, evidenceBundleBody, signBundle } from "../../alerts/evidence-bundle.js";
import { ALERT_STATES, type AlertCase } from "../../store/alert-case-records.js";
import { canSee, principalOf, requireRole, scopedSite, type Principal } from "../api-auth.js";
import { ApiError } from "../api-error.js";
import { ErrorBody, PageQuery, RangeQuery, iso, pageOf } from "../api-schemas.js";

/**
 * Alerts for supervisors: the inbox (filters), one alert's detail with its timeline, lifecycle
 * actions, the live stream (server-sent events) and the signed evidence bundle. A hospital token sees
 * its own institution only: another's alert answers 404, a list for another 403.
 */
const AlertListQuery = z.strictObject({
  site: SiteId.optional(),
  kind: z.enum(ALERT_KINDS).optional(),
  rule: z.enum(ALERT_RULES).optional(),
  severity: z.enum(["info", "warning", "critical"]).optional(),
  state: z.enum(ALERT_STATES).optional(),
  ...RangeQuery,
  ...PageQuery,
});

// Any id up to 64 characters: one that names no alert (or another institution's) answers 404.
const AlertIdParams = z.strictObject({ id: z.string().min(1).max(64) });

const TimelineEntry = z.object({
  at: z.string(),
  type: z.enum(["billing", "event", "box_status"]),
  id: z.string(),
  text: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

const AlertDetail = z.object({
  alert: AlertCaseView,
  history: z.array(AlertTransitionView),
  timeline: z.array(TimelineEntry),
  explanation: z.object({ zh: z.string(), en: z.string() }),
});

const ActionBody = z.strictObject({
  action: z.enum(ALERT_ACTIONS),
  reason: z.string().trim().min(1).max(200).optional(),
  note: z.string().trim().min(1).max(2000).optional(),
});

const ActionConflict = z.object({ error: z.object({ code: z.string(), message: z.string() }), state: z.enum(ALERT_STATES), allowedActions: z.array(z.enum(ALERT_ACTIONS)) });

async function visibleCase(desk: AlertDesk, principal: Principal, id: string): Promise<AlertCase> {
  // An alert ingest stored a moment ago may not have its case yet: adopt before answering 404.
  const alert = (await desk.cases.getCase(id)) ?? ((await adoptIngestAlerts(desk.store, "ingest")) > 0 ? await desk.cases.getCase(id) : undefined);
  if (alert === undefined || !canSee(principal, alert.site)) throw new ApiError(404, "not_found", `no alert ${id}`);
  return alert;
}

export const alertRoutes: FastifyPluginAsyncZod<{ desk: AlertDesk }> = async (app, { desk }) => {
  // Open streams end when the server closes, so closing does not wait for clients to hang up.
  const streams = new Set<{ end: () => void }>();
  app.addHook("preClose", (done) => {
    for (const stream of streams) stream.end();
    done();
  });

  app.get(
    "/alerts",
    {
      schema: {
        tags: ["alerts"],
        summary: "Alerts with their lifecycle state, newest first",
        description: "Live changes: GET /alerts/stream (text/event-stream, same bearer token): `id: <seq>`, `event: alert`, `data: <this item's JSON + change>`; send Last-Event-ID to resume.",
        querystring: AlertListQuery, response: { 200: pageOf(AlertCaseView), 403: ErrorBody },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const site = scopedSite(principalOf(request), filter.site);
      await adoptIngestAlerts(desk.store, "ingest");
      const page = await desk.cases.queryCases({ ...filter, site }, { limit, cursor });
      return { nextCursor: page.nextCursor, items: page.items.map(alertCaseView) };
    },
  );

  app.get(
    "/alerts/stream",
    {
      schema: {
        // Not in the OpenAPI document (a stream never ends, which generic route walkers cannot read);
        // documented in gateway/alerts/README.md and in GET /alerts.
        hide: true,
        tags: ["alerts"],
        summary: "Live alert changes as server-sent events",
        description: "text/event-stream: `id: <seq>`, `event: alert`, `data: <alert view JSON>` per change. Send Last-Event-ID to get what was missed. Comments every 15 s keep the connection alive.",
        querystring: z.strictObject({ site: SiteId.optional() }),
      },
    },
    async (request, reply) => {
      const site = scopedSite(principalOf(request), request.query.site);
      const lastEventId = request.headers["last-event-id"];
      const after = typeof lastEventId === "string" && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : null;
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" });
      out.write("retry: 2000\n\n");
      const unsubscribe = await desk.hub.subscribe({
        site,
        after,
        send: (frame) => {
          out.write(`id: ${String(frame.seq)}\nevent: alert\ndata: ${JSON.stringify({ ...frame.alert, change: frame.change })}\n\n`);
        },
      });
      const keepAlive = setInterval(() => out.write(": keep-alive\n\n"), 15_000);
      keepAlive.unref();
      const stream = { end: () => out.end() };
      streams.add(stream);
      request.raw.on("close", () => {
        clearInterval(keepAlive);
        streams.delete(stream);
        unsubscribe();
      });
    },
  );

  app.get(
    "/alerts/:id",
    { schema: { tags: ["alerts"], summary: "One alert: state history, timeline of billing rows, events and box status, the rule's explanation", params: AlertIdParams, response: { 200: AlertDetail, 404: ErrorBody } } },
    async (request) => {
      await visibleCase(desk, principalOf(request), request.params.id);
      const parts = await collectEvidence(desk.store, desk.cases, request.params.id);
      if (parts === undefined) throw new ApiError(404, "not_found", `no alert ${request.params.id}`);
      const view = alertCaseView(parts.alert);
      const timeline: z.infer<typeof TimelineEntry>[] = [
        ...parts.lines.map((r) => {
          const line = JSON.parse(r.body) as Record<string, unknown>;
          return { at: iso(r.serviceAt), type: "billing" as const, id: r.id, text: `${String(line.itemName ?? line.itemCode)} × ${String(line.quantity)}`, detail: { ...line, importedAt: iso(r.importedAt) } };
        }),
        ...parts.events.map((e) => ({
          at: iso(e.record.occurredAt),
          type: "event" as const,
          id: e.event.id,
          text: `${e.event.kind}: ${e.event.verification.outcome} (${e.event.box})`,
          detail: { kind: e.event.kind, outcome: e.event.verification.outcome, box: e.event.box, receivedAt: iso(e.record.receivedAt), signatureVerified: e.verified, evidence: e.event.evidence },
        })),
        ...parts.timeline.points.map((p) => ({ at: iso(p.at), type: "box_status" as const, id: `${p.box}@${String(p.at)}`, text: `${p.box} ${p.state} (${p.reason})`, detail: { box: p.box, role: p.role, state: p.state, reason: p.reason } })),
      ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      return { alert: view, history: parts.transitions.map(transitionView), timeline, explanation: view.explanation };
    },
  );

  app.post(
    "/alerts/:id/actions",
    {
      schema: {
        tags: ["alerts"],
        summary: "Move an alert through its lifecycle",
        description: "open → acknowledge → confirm | dismiss (reason and note required) → close. 409 with the allowed actions when the action does not apply to the current state. admin and supervisor only.",
        params: AlertIdParams,
        body: ActionBody,
        response: { 200: AlertCaseView, 404: ErrorBody, 409: ActionConflict },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "admin", "supervisor");
      await visibleCase(desk, principal, request.params.id);
      const { action, reason, note } = request.body;
      const outcome = await desk.act(request.params.id, { action, reason: reason ?? null, note: note ?? null }, `${principal.role}:${principal.name}`);
      if (outcome.result === "not_found") throw new ApiError(404, "not_found", `no alert ${request.params.id}`);
      if (outcome.result === "refused") {
        return reply.code(409).send({ error: { code: "conflict", message: outcome.detail }, state: outcome.alert.state, allowedActions: allowedActions(outcome.alert.state) });
      }
      return alertCaseView(outcome.alert);
    },
  );

  app.get(
    "/alerts/:id/evidence",
    {
      schema: {
        tags: ["alerts"],
        summary: "The alert's evidence bundle as one signed JSON file",
        description: "Ed25519 by the gateway's key over \"carewitness-evidence-v1\\n\" + RFC 8785 JSON of `bundle`; see gateway/alerts/README.md. The key: GET /evidence-key.",
        params: AlertIdParams,
      },
    },
    async (request, reply) => {
      await visibleCase(desk, principalOf(request), request.params.id);
      const parts = await collectEvidence(desk.store, desk.cases, request.params.id);
      if (parts === undefined) throw new ApiError(404, "not_found", `no alert ${request.params.id}`);
      const signed = signBundle(evidenceBundleBody(parts, Date.now()), desk.evidenceKey);
      return reply
        .header("content-type", "application/json; charset=utf-8")
        .header("content-disposition", `attachment; filename="carewitness-evidence-${request.params.id}.json"`)
        .send(JSON.stringify(signed, null, 2));
    },
  );

  app.get(
    "/evidence-key",
    { schema: { tags: ["alerts"], summary: "The public key evidence bundles are signed with", response: { 200: z.object({ alg: z.literal("Ed25519"), keyId: z.string(), publicKey: z.string() }) } } },
    () => ({ alg: "Ed25519" as const, keyId: desk.evidenceKey.keyId, publicKey: desk.evidenceKey.publicKey }),
  );
};
