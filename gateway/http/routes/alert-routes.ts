import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AlertMessage } from "../../../protocol/index.js";
import type { GatewayStore } from "../../store/gateway-store.js";
import { principalOf, scopedSite } from "../api-auth.js";
import { AlertQuery, AlertView, isoOrNull, pageOf } from "../api-schemas.js";

export const alertRoutes: FastifyPluginAsyncZod<{ store: GatewayStore }> = async (app, { store }) => {
  app.get(
    "/alerts",
    {
      schema: {
        tags: ["alerts"],
        summary: "Alerts raised for supervisors, newest first",
        querystring: AlertQuery,
        response: { 200: pageOf(AlertView) },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const site = scopedSite(principalOf(request), filter.site);
      const page = await store.queryAlerts({ ...filter, site }, { limit, cursor });
      return {
        nextCursor: page.nextCursor,
        items: page.items.map((a) => ({ alert: AlertMessage.parse(JSON.parse(a.body)), publishedAt: isoOrNull(a.publishedAt) })),
      };
    },
  );
};
