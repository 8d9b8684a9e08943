import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { EventMessage, SiteId } from "../../../protocol/index.js";
import type { EventRecord, GatewayStore } from "../../store/gateway-store.js";
import { canSee, principalOf, scopedSite } from "../api-auth.js";
import { ApiError } from "../api-error.js";
import { ErrorBody, EventQuery, iso, pageOf, RangeQuery, StoredEventView } from "../api-schemas.js";

function eventView(record: EventRecord): z.infer<typeof StoredEventView> {
  return { event: EventMessage.parse(JSON.parse(record.body)), receivedAt: iso(record.receivedAt), gatewayId: record.gatewayId };
}

export const eventRoutes: FastifyPluginAsyncZod<{ store: GatewayStore }> = async (app, { store }) => {
  app.get(
    "/events",
    {
      schema: {
        tags: ["events"],
        summary: "Stored check events, newest first, filtered and paged",
        querystring: EventQuery,
        response: { 200: pageOf(StoredEventView).extend({ total: z.number() }) },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const site = scopedSite(principalOf(request), filter.site);
      const page = await store.queryEvents({ ...filter, site }, { limit, cursor });
      const total = await store.countEvents({ ...filter, site });
      return { items: page.items.map(eventView), nextCursor: page.nextCursor, total };
    },
  );

  app.get(
    "/attestations",
    {
      schema: {
        tags: ["events"],
        summary: "Nurse attestations counted per institution, member of staff (pseudonymous) and reason",
        description: "Checks a nurse vouched for because the face check could not serve the patient: a nurse or an institution attesting far more than its peers stands out.",
        querystring: z.strictObject({ site: SiteId.optional(), ...RangeQuery }),
        response: { 200: z.object({ items: z.array(z.object({ site: z.string(), staffRef: z.string(), reason: z.string(), count: z.number() })) }) },
      },
    },
    async (request) => {
      const site = scopedSite(principalOf(request), request.query.site);
      return { items: [...(await store.countAttestations({ site, from: request.query.from, to: request.query.to }))] };
    },
  );

  app.get(
    "/events/:id",
    {
      schema: {
        tags: ["events"],
        summary: "One stored event, exactly as signed by its box",
        params: z.object({ id: z.string() }),
        response: { 200: StoredEventView, 404: ErrorBody },
      },
    },
    async (request) => {
      const record = await store.getEvent(request.params.id);
      if (record === undefined || !canSee(principalOf(request), record.site)) {
        throw new ApiError(404, "not_found", `no event ${request.params.id}`);
      }
      return eventView(record);
    },
  );
};
