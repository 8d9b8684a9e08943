import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { SiteId } from "../../../protocol/index.js";
import type { AlertDesk } from "../../alerts/alert-desk.js";
import { newWebhookSecret } from "../../alerts/webhook-delivery.js";
import { principalOf, requireRole } from "../api-auth.js";
import { ApiError } from "../api-error.js";
import { ErrorBody, iso } from "../api-schemas.js";

/**
 * Webhook subscriptions (admin): every alert change is POSTed to each subscription (of its site, or
 * of all sites), signed with HMAC-SHA256 under the subscription's secret, which is shown once when
 * the subscription is created. Creating and deleting are audited.
 */
const WebhookView = z.object({ id: z.string(), url: z.string(), site: z.string().nullable(), createdBy: z.string(), createdAt: z.string(), pendingDeliveries: z.number() });

export const webhookRoutes: FastifyPluginAsyncZod<{ desk: AlertDesk }> = async (app, { desk }) => {
  app.post(
    "/webhooks",
    {
      schema: {
        tags: ["webhooks"],
        summary: "Subscribe a URL to alert changes (the answer holds the signing secret, once)",
        body: z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2000), site: SiteId.nullable().default(null) }),
        response: { 201: WebhookView.extend({ secret: z.string() }), 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "admin");
      const at = Date.now();
      const hook = { id: randomUUID(), url: request.body.url, secret: newWebhookSecret(), site: request.body.site, createdBy: principal.name, createdAt: at };
      await desk.cases.createWebhook(hook, { at, actor: `${principal.role}:${principal.name}`, action: "webhook.created", subject: `webhook/${hook.id}`, site: hook.site, detail: { url: hook.url, site: hook.site } });
      return reply.code(201).send({ ...hook, createdAt: iso(at), pendingDeliveries: 0 });
    },
  );

  app.get(
    "/webhooks",
    { schema: { tags: ["webhooks"], summary: "Webhook subscriptions (secrets are not shown again); a hospital token sees its institution's", response: { 200: z.object({ items: z.array(WebhookView) }) } } },
    async (request) => {
      const principal = principalOf(request);
      const hooks = (await desk.cases.listWebhooks()).filter((h) => principal.role !== "hospital" || (h.site !== null && h.site === principal.site));
      const items = [];
      for (const h of hooks) items.push({ id: h.id, url: h.url, site: h.site, createdBy: h.createdBy, createdAt: iso(h.createdAt), pendingDeliveries: await desk.cases.pendingDeliveries(h.id) });
      return { items };
    },
  );

  app.delete(
    "/webhooks/:id",
    { schema: { tags: ["webhooks"], summary: "Unsubscribe (pending deliveries are dropped)", params: z.strictObject({ id: z.uuid() }), response: { 204: z.null(), 403: ErrorBody, 404: ErrorBody } } },
    async (request, reply) => {
      const principal = requireRole(request, "admin");
      const at = Date.now();
      const deleted = await desk.cases.deleteWebhook(request.params.id, { at, actor: `${principal.role}:${principal.name}`, action: "webhook.deleted", subject: `webhook/${request.params.id}`, site: null, detail: {} });
      if (!deleted) throw new ApiError(404, "not_found", `no webhook ${request.params.id}`);
      return reply.code(204).send(null);
    },
  );
};
