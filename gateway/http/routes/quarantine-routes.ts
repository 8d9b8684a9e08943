import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { GatewayStore } from "../../store/gateway-store.js";
import { principalOf, scopedSite } from "../api-auth.js";
import { iso, pageOf, QuarantineCountsView, QuarantineQuery, QuarantineView } from "../api-schemas.js";

export const quarantineRoutes: FastifyPluginAsyncZod<{ store: GatewayStore }> = async (app, { store }) => {
  app.get(
    "/quarantine",
    {
      schema: {
        tags: ["quarantine"],
        summary: "Rejected messages with the step, the reason and the raw payload",
        querystring: QuarantineQuery,
        response: { 200: pageOf(QuarantineView) },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const site = scopedSite(principalOf(request), filter.site);
      const page = await store.queryQuarantine({ ...filter, site }, { limit, cursor });
      return {
        nextCursor: page.nextCursor,
        items: page.items.map((q) => ({
          id: q.id,
          receivedAt: iso(q.receivedAt),
          lastSeenAt: iso(q.lastSeenAt),
          occurrences: q.occurrences,
          topic: q.topic,
          site: q.site,
          box: q.box,
          eventId: q.eventId,
          step: q.step,
          reason: q.reason,
          detail: q.detail,
          payloadBytes: q.payloadBytes,
          payloadBase64: q.payload.toString("base64"),
        })),
      };
    },
  );

  app.get(
    "/quarantine/counts",
    {
      schema: {
        tags: ["quarantine"],
        summary: "How many messages were rejected, by reason and step",
        querystring: QuarantineQuery.omit({ limit: true, cursor: true }),
        response: { 200: QuarantineCountsView },
      },
    },
    async (request) => {
      const site = scopedSite(principalOf(request), request.query.site);
      const counts = await store.countQuarantine({ ...request.query, site });
      const total = counts.reduce(
        (sum, c) => ({ messages: sum.messages + c.messages, occurrences: sum.occurrences + c.occurrences }),
        { messages: 0, occurrences: 0 },
      );
      return { total, byReason: [...counts] };
    },
  );
};
