import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AlertDesk } from "../../alerts/alert-desk.js";
import { confirmedCasesCsv, confirmedRecord, ConfirmedRecordView } from "../../alerts/confirmed-record.js";
import { canSee, principalOf } from "../api-auth.js";
import { ApiError } from "../api-error.js";
import { ErrorBody, RangeQuery } from "../api-schemas.js";

/**
 * After treatment (issue 7 §5): an institution's record of confirmed cases, as JSON or as a CSV of
 * its case rows for a spreadsheet. Like the institution's coverage, it is the institution's own
 * resource: a hospital token reads its own, another institution's answers 404, as absent.
 */
export const confirmedCaseRoutes: FastifyPluginAsyncZod<{ desk: AlertDesk }> = async (app, { desk }) => {
  app.get(
    "/institutions/:site/confirmed-cases",
    {
      schema: {
        tags: ["alerts"],
        summary: "The institution's confirmed cases: counted by rule, kind, CST month and patient, one row per case with who confirmed it and its evidence",
        description:
          "Cases a supervisor confirmed (closed afterwards still counts; dismissed never), whose fact occurred in [from, to) (default: all time). " +
          "`format=csv`: the case rows as text/csv (UTF-8 with BOM, formula-looking cells prefixed with ').",
        params: z.strictObject({ site: z.string().min(1).max(64) }),
        querystring: z.strictObject({ ...RangeQuery, format: z.enum(["json", "csv"]).default("json") }),
        response: {
          200: {
            description: "The record (JSON), or its case rows (CSV)",
            content: { "application/json": { schema: ConfirmedRecordView }, "text/csv": { schema: z.string().describe("UTF-8 with BOM; header row: see gateway/alerts/confirmed-record.ts CONFIRMED_CASES_CSV_HEADER.") } },
          },
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { site } = request.params;
      if (!canSee(principalOf(request), site)) throw new ApiError(404, "not_found", `no institution ${site}`);
      const range = { from: request.query.from, to: request.query.to };
      const record = confirmedRecord({ site, histories: await desk.cases.confirmedCases(site, range), watchList: await desk.cases.watchList(site), range });
      if (request.query.format === "json") return record;
      // A text/csv string skips the JSON serializer; the file name keeps to safe characters.
      return reply
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="carewitness-confirmed-cases-${site.replace(/[^A-Za-z0-9_.-]/g, "_")}.csv"`)
        .send(confirmedCasesCsv(record));
    },
  );
};
