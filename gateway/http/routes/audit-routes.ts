import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { SiteId } from "../../../protocol/index.js";
import type { AlertDesk } from "../../alerts/alert-desk.js";
import { coverage, rulePrecision } from "../../alerts/alert-metrics.js";
import { allPages } from "../../alerts/patient-facts-loader.js";
import { canSee, principalOf, scopedSite } from "../api-auth.js";
import { ApiError } from "../api-error.js";
import { ErrorBody, iso } from "../api-schemas.js";

/**
 * The audit log (admin and supervisor), each rule's precision over reviewed alerts, and an
 * institution's weekly coverage (a hospital token: its own institution only).
 */
const AuditEntryView = z.object({ seq: z.number(), at: z.string(), actor: z.string(), action: z.string(), subject: z.string(), site: z.string().nullable(), detail: z.unknown(), prevHash: z.string(), hash: z.string() });

const PrecisionView = z.object({
  rules: z.array(z.object({ rule: z.string(), site: z.string(), confirmed: z.number(), dismissed: z.number(), reviewed: z.number(), precision: z.number().nullable() })),
});

const CoverageView = z.object({
  site: z.string(),
  weeks: z.array(
    z.object({ week: z.string(), billedSessions: z.number(), verifiedSessions: z.number(), unverifiableSessions: z.number(), verifiedShare: z.number().nullable(), alertsByRule: z.record(z.string(), z.number()), boxesOnline: z.number() }),
  ),
  boxes: z.object({ total: z.number(), online: z.number(), offline: z.number(), unknown: z.number() }),
});

export const auditRoutes: FastifyPluginAsyncZod<{ desk: AlertDesk }> = async (app, { desk }) => {
  app.get(
    "/audit",
    {
      schema: {
        tags: ["audit"],
        summary: "The hash-chained audit log, oldest first",
        description: "admin and supervisor read every entry (or one institution's with ?site); a hospital token reads the entries about its own institution.",
        querystring: z.strictObject({
          site: SiteId.optional(),
          cursor: z.coerce.number().int().min(0).default(0).describe("Entries after this seq (the previous page's nextCursor)."),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ items: z.array(AuditEntryView), nextCursor: z.string().nullable() }), 403: ErrorBody },
      },
    },
    async (request) => {
      const site = scopedSite(principalOf(request), request.query.site);
      const entries = await desk.cases.auditEntries(request.query.cursor, request.query.limit, site);
      const last = entries.at(-1);
      return {
        items: entries.map((e) => ({ ...e, at: iso(e.at), detail: JSON.parse(e.detail) as unknown })),
        nextCursor: entries.length === request.query.limit && last !== undefined ? String(last.seq) : null,
      };
    },
  );

  app.get(
    "/rules/precision",
    {
      schema: {
        tags: ["alerts"],
        summary: "Per rule and institution: confirmed / (confirmed + dismissed) over reviewed alerts",
        querystring: z.strictObject({ site: SiteId.optional() }),
        response: { 200: PrecisionView, 403: ErrorBody },
      },
    },
    async (request) => {
      const site = scopedSite(principalOf(request), request.query.site);
      const counts = (await desk.cases.verdictCounts()).filter((c) => site === undefined || c.site === site);
      return { rules: rulePrecision(counts) };
    },
  );

  app.get(
    "/institutions/:site/coverage",
    {
      schema: {
        tags: ["alerts"],
        summary: "Per CST week: share of billed sessions verified, alerts by rule, boxes online; boxes online now",
        params: z.strictObject({ site: z.string().min(1).max(64) }),
        querystring: z.strictObject({ weeks: z.coerce.number().int().min(1).max(104).default(8) }),
        response: { 200: CoverageView, 404: ErrorBody },
      },
    },
    async (request) => {
      const { site } = request.params;
      // One institution's figures are its resource: another institution's answer 404, as absent.
      if (!canSee(principalOf(request), site)) throw new ApiError(404, "not_found", `no institution ${site}`);
      const from = Date.now() - request.query.weeks * 7 * 86_400_000;
      const lines = await allPages((cursor) => desk.store.queryBilledItems({ institution: site, from }, { limit: 1000, cursor }));
      const alerts = await allPages((cursor) => desk.cases.queryCases({ site, from }, { limit: 1000, cursor }));
      const devices = await desk.store.listDevices({ site });
      const timelines = [];
      for (const device of devices) {
        const history = await desk.store.statusHistory(device.box, 1000);
        timelines.push({ box: device.box, points: [...history].reverse().map((p) => ({ state: p.state, at: p.at })) });
      }
      const result = coverage(site, lines, alerts.filter((a) => a.occurredAt >= from), devices, timelines);
      return { ...result, weeks: result.weeks.map((w) => ({ ...w, alertsByRule: { ...w.alertsByRule } })) };
    },
  );
};
