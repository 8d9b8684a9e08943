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
import { auditRoutes } from "./routes/audit-routes.js";
import { confirmedCaseRoutes } from "./routes/confirmed-case-routes.js";
import { webhookRoutes } from "./routes/webhook-routes.js";
import { createAlertDesk, type AlertDesk } from "../alerts/alert-desk.js";
import { apiAuditHook } from "../alerts/api-audit-hook.js";
import { billingRoutes } from "./routes/billing-routes.js";
import { deviceRoutes } from "./routes/device-routes.js";
import { eventRoutes } from "./routes/event-routes.js";
import { quarantineRoutes } from "./routes/quarantine-routes.js";
import { provisioningRoutes } from "./routes/provisioning-routes.js";
import { templateSyncRoutes } from "./routes/template-sync-routes.js";

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
  /** Wraps institution template keys at rest; null: derived from the pseudonym key (gateway/provisioning/README.md). */
  readonly keyWrappingSecret?: Uint8Array | null;
  readonly logger?: boolean;
  /** The alert back end (gateway/alerts); one over `store` with a throwaway evidence key when absent. */
  readonly alerts?: AlertDesk;
  /** Publishes a command to one box over MQTT (POST /api/v1/devices/:box/commands); absent: 503. */
  readonly commandBox?: (site: string, box: string, body: string) => Promise<void>;
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

  await app.register(provisioningRoutes, { store: options.store, pseudonymKey: options.pseudonymKey ?? null, keyWrappingSecret: options.keyWrappingSecret ?? null, onDeviceChanged: options.onDeviceChanged ?? (() => undefined) });
  await app.register(templateSyncRoutes, { store: options.store });
  await app.register(import("../dashboard/dashboard-plugin.js"));
  await app.register(
    async (api) => {
      api.addHook("onRequest", authenticate(options.store));
      await api.register(deviceRoutes, { store: options.store, onDeviceChanged: options.onDeviceChanged ?? (() => undefined), commandBox: options.commandBox });
      await api.register(eventRoutes, { store: options.store });
      await api.register(quarantineRoutes, { store: options.store });
      const alerts = options.alerts ?? (await startedDesk(app, options.store));
      api.addHook("onSend", apiAuditHook(alerts.cases));
      await api.register(alertRoutes, { desk: alerts });
      await api.register(auditRoutes, { desk: alerts });
      await api.register(confirmedCaseRoutes, { desk: alerts });
      await api.register(webhookRoutes, { desk: alerts });
      await api.register(billingRoutes, { store: options.store, pseudonymKey: options.pseudonymKey ?? null });
    },
    { prefix: "/api/v1" },
  );
  await app.ready();
  return app;
}

/** A desk of this API's own (tests, API-only use): its stream and webhooks run while the API does. */
async function startedDesk(app: FastifyInstance, store: GatewayStore): Promise<AlertDesk> {
  const desk = createAlertDesk({ store });
  await desk.start(1000);
  app.addHook("onClose", () => desk.stop());
  return desk;
}
