import fastifySwagger from "@fastify/swagger";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { z } from "zod";
import type { GatewayStore } from "../store/gateway-store.js";
import { authenticate } from "./api-auth.js";
import { ApiError } from "./api-error.js";
import { alertRoutes } from "./routes/alert-routes.js";
import { billingRoutes } from "./routes/billing-routes.js";
import { deviceRoutes } from "./routes/device-routes.js";
import { eventRoutes } from "./routes/event-routes.js";
import { quarantineRoutes } from "./routes/quarantine-routes.js";

/**
 * The gateway's REST API as one fastify instance built by a function, so tests drive it with
 * `inject()` and no open port. Everything under /api/v1 needs a bearer token; /health and the
 * OpenAPI document do not.
 */
export interface GatewayApiOptions {
  readonly store: GatewayStore;
  readonly health: () => Record<string, unknown>;
  readonly onDeviceChanged?: (box: string) => void;
  /** The deployment pseudonym key, for hashing ID numbers in billing imports; null: imports are refused. */
  readonly pseudonymKey?: Uint8Array | null;
  readonly logger?: boolean;
}

export async function buildGatewayApi(options: GatewayApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 256 * 1024 }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest("principal", null);

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message } });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const message = error.validation.map((v) => `${v.instancePath || "(root)"} ${v.message ?? "is invalid"}`).join("; ");
      return reply.code(400).send({ error: { code: "bad_request", message: `${error.validationContext ?? "request"}: ${message}` } });
    }
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: { code: "bad_request", message: error.message } });
    }
    request.log.error(error);
    return reply.code(500).send({ error: { code: "internal", message: "internal error" } });
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: "CareWitness gateway API",
        version: "1",
        description: "Boxes, verified check events, quarantined messages and alerts. Bearer tokens: admin, supervisor, hospital (own institution only).",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.get(
    "/health",
    { schema: { tags: ["health"], summary: "Liveness and ingest counters", security: [], response: { 200: z.record(z.string(), z.unknown()) } } },
    () => ({ status: "ok", ...options.health() }),
  );
  app.get("/api/v1/openapi.json", { schema: { hide: true } }, () => app.swagger());

  await app.register(
    async (api) => {
      api.addHook("onRequest", authenticate(options.store));
      await api.register(deviceRoutes, { store: options.store, onDeviceChanged: options.onDeviceChanged ?? (() => undefined) });
      await api.register(eventRoutes, { store: options.store });
      await api.register(quarantineRoutes, { store: options.store });
      await api.register(alertRoutes, { store: options.store });
      await api.register(billingRoutes, { store: options.store, pseudonymKey: options.pseudonymKey ?? null });
    },
    { prefix: "/api/v1" },
  );
  await app.ready();
  return app;
}
