import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Readable } from "node:stream";
import { BILLING_REJECTION_CODES } from "../../billing/billed-item.js";
import { BILLING_COLUMN_NAMES } from "../../billing/billing-columns.js";
import { importBillingIntoStore } from "../../billing/billing-store-import.js";
import { BILLING_ENCODINGS } from "../../billing/text-decoding.js";
import type { GatewayStore } from "../../store/gateway-store.js";
import { requireRole } from "../api-auth.js";
import { ApiError } from "../api-error.js";
import { ErrorBody } from "../api-schemas.js";

export interface BillingRoutesOptions {
  readonly store: GatewayStore;
  /** The deployment pseudonym key; without it billing cannot be matched to events, so import is refused. */
  readonly pseudonymKey: Uint8Array | null;
  /** Largest request body, bytes. */
  readonly maxBytes?: number;
}

const BillingImportResult = z.object({
  encoding: z.string().nullable(),
  stored: z.number().int(),
  duplicates: z.number().int(),
  conflicts: z.number().int(),
  rejected: z.number().int(),
  rejections: z.array(
    z.object({
      code: z.enum(BILLING_REJECTION_CODES),
      row: z.number().int(),
      column: z.enum(BILLING_COLUMN_NAMES as [string, ...string[]]).nullable(),
      reason: z.string(),
      lineId: z.string().nullable(),
    }),
  ),
});

/** Content types whose body is handed to the importer as a stream (it detects CSV or JSON itself). */
const STREAMED_TYPES = ["text/csv", "application/json", "application/x-ndjson", "application/jsonl", "application/octet-stream"];

/**
 * POST /billing: a billed-items export as the body (CSV in UTF-8 or GB18030, JSON lines, or a JSON
 * array of row objects), streamed into the store. admin: any institution; hospital: its own lines
 * only (others are rejected row by row). Answers with the counts and the rejections.
 */
export const billingRoutes: FastifyPluginAsyncZod<BillingRoutesOptions> = async (app, { store, pseudonymKey, maxBytes }) => {
  // Within this plugin only: bodies stay streams, so a large export is never held whole in memory.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(STREAMED_TYPES, { bodyLimit: maxBytes ?? 512 * 1024 * 1024 }, (_request, payload, done) => {
    done(null, payload);
  });

  app.post(
    "/billing",
    {
      schema: {
        tags: ["billing"],
        summary: "Import billed items (CSV or JSON)",
        description:
          "Body: a billed-items export (columns per billing-format.md; Chinese and national-interface names accepted) as text/csv (UTF-8 or GB18030) or JSON. admin: any institution; hospital: its own institution's lines only. Importing the same file again changes nothing.",
        querystring: z.strictObject({ encoding: z.enum(BILLING_ENCODINGS).default("auto") }),
        response: { 200: BillingImportResult, 403: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const principal = requireRole(request, "admin", "hospital");
      if (pseudonymKey === null) throw new ApiError(503, "internal", "this gateway has no pseudonym key configured, so billing cannot be matched to events");
      const body = request.body as Readable | undefined;
      if (body === undefined) throw new ApiError(400, "bad_request", "empty body");
      const result = await importBillingIntoStore(body, store, {
        pseudonymKey,
        encoding: request.query.encoding,
        ...(principal.role === "hospital" && principal.site !== null ? { institution: principal.site } : {}),
        maxRejectionsListed: 1000,
      });
      return { ...result, rejections: [...result.rejections] };
    },
  );
};
