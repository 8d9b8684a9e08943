import { z } from "zod";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { BOX_REQUEST_HEADERS, publicKeyFromRaw, SealedTemplate, TemplatePage, verifyBoxRequest } from "../../../protocol/index.js";
import { acceptTemplate, MAX_TEMPLATE_PAGE, templatesForBox } from "../../provisioning/template-sync.js";
import type { Device, GatewayStore } from "../../store/gateway-store.js";
import { ApiError } from "../api-error.js";
import { ErrorBody } from "../api-schemas.js";

/**
 * /box/v1/templates: face-template sync for boxes, authenticated by the box's own Ed25519 key
 * (protocol/box-request-signature.ts) rather than a bearer token. A box sees only its institution.
 */
export interface TemplateSyncRoutesOptions {
  readonly store: GatewayStore;
  /** How far a request's `at` may be from the gateway's clock; default 5 minutes. */
  readonly maxClockSkewMs?: number | undefined;
  readonly now?: (() => number) | undefined;
}

const DEFAULT_SKEW_MS = 5 * 60_000;

export const templateSyncRoutes: FastifyPluginAsyncZod<TemplateSyncRoutesOptions> = async (app, options) => {
  const rawBodies = new WeakMap<FastifyRequest, Buffer>();
  const boxes = new WeakMap<FastifyRequest, Device>();
  // The signature covers the exact bytes sent, so the body is kept raw beside its parsed form.
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body: Buffer, done) => {
    rawBodies.set(request, body);
    try {
      done(null, JSON.parse(body.toString("utf8")));
    } catch (error) {
      done(new ApiError(400, "bad_request", `body is not JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.addHook("preHandler", async (request: FastifyRequest) => {
    const header = (name: string): string => {
      const value = request.headers[name];
      if (typeof value !== "string" || value.length === 0) throw new ApiError(401, "unauthenticated", `the ${name} header is required (a box-signed request)`);
      return value;
    };
    const box = header(BOX_REQUEST_HEADERS.box);
    const at = Number(header(BOX_REQUEST_HEADERS.at));
    const signature = header(BOX_REQUEST_HEADERS.signature);
    const now = (options.now ?? Date.now)();
    if (!Number.isSafeInteger(at) || Math.abs(now - at) > (options.maxClockSkewMs ?? DEFAULT_SKEW_MS)) {
      throw new ApiError(401, "unauthenticated", `request time ${String(at)} is too far from the gateway's clock (${String(now)})`);
    }
    const device = await options.store.getDevice(box);
    if (device === undefined) throw new ApiError(401, "unauthenticated", `unknown box ${box}`);
    if (!device.enabled) throw new ApiError(403, "forbidden", `box ${box} is disabled`);
    const signed = { method: request.method, path: request.url, box, at, body: rawBodies.get(request) ?? Buffer.alloc(0) };
    if (!verifyBoxRequest(signed, signature, publicKeyFromRaw(device.publicKey))) {
      throw new ApiError(401, "unauthenticated", `the signature does not verify under box ${box}'s registered key`);
    }
    boxes.set(request, device);
  });

  const deviceOf = (request: FastifyRequest): Device => {
    const device = boxes.get(request);
    if (device === undefined) throw new ApiError(401, "unauthenticated", "not a box-signed request");
    return device;
  };

  app.post(
    "/box/v1/templates",
    {
      schema: {
        tags: ["template sync"],
        summary: "Upload a sealed face template enrolled by this box",
        description: "Box-signed. The template is stored under the next number of the institution's sequence; the same upload again answers its first number.",
        security: [],
        body: SealedTemplate,
        response: { 200: z.object({ result: z.enum(["stored", "duplicate"]), seq: z.number().int() }), 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const outcome = await acceptTemplate(options.store, deviceOf(request), request.body, (options.now ?? Date.now)());
      if (!outcome.ok) throw new ApiError(403, "forbidden", `${outcome.reason}: ${outcome.detail}`);
      return reply.code(200).send(outcome.stored);
    },
  );

  app.get(
    "/box/v1/templates",
    {
      schema: {
        tags: ["template sync"],
        summary: "Templates of this box's institution after a cursor",
        description: "Box-signed. Pull until `items` is empty; keep `after` as the cursor for next time.",
        security: [],
        querystring: z.strictObject({
          after: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(MAX_TEMPLATE_PAGE).default(100),
        }),
        response: { 200: TemplatePage },
      },
    },
    async (request) => templatesForBox(options.store, deviceOf(request), request.query.after, request.query.limit),
  );
};
