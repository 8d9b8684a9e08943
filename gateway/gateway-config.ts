import { availableParallelism, hostname } from "node:os";
import { z } from "zod";

/**
 * The gateway's configuration: one zod schema with defaults and a description per knob. The CLI
 * builds it from flags and environment variables (cli/commands/gateway-command.ts); README.md lists
 * every knob.
 */
export const StoreConfig = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("sqlite"),
    path: z.string().min(1).default(".carewitness/gateway.db").describe("SQLite database file (WAL mode)."),
  }),
  z.strictObject({
    kind: z.literal("postgres"),
    url: z.string().min(1).describe("PostgreSQL connection URL, shared by every gateway instance."),
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).optional().describe("PostgreSQL schema to use (created if absent)."),
  }),
]);
export type StoreConfig = z.infer<typeof StoreConfig>;

export const MqttConfig = z.strictObject({
  url: z
    .string()
    .nullable()
    .default(null)
    .describe("External broker URL (mqtt://host:1883); null runs the embedded broker."),
  embeddedHost: z.string().default("127.0.0.1").describe("Listen address of the embedded broker."),
  embeddedPort: z.number().int().min(0).max(65535).default(1884).describe("Listen port of the embedded broker (0: any free port)."),
  protocolVersion: z
    .union([z.literal(4), z.literal(5)])
    .optional()
    .describe("MQTT protocol version; default 5 for an external broker, 4 (3.1.1) for the embedded one."),
  clientId: z.string().min(1).max(64).optional().describe("MQTT client id; default carewitness-gateway-{gatewayId}."),
  shareGroup: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .nullable()
    .default("carewitness-gateway")
    .describe("MQTT v5 shared-subscription group that gateways split the stream in; null subscribes plainly."),
  sessionExpirySeconds: z.number().int().min(0).default(7 * 24 * 3600).describe("How long the broker keeps the gateway's session and queued messages while it is away."),
  username: z.string().optional(),
  password: z.string().optional(),
});

export const IngestConfig = z.strictObject({
  maxBatch: z.number().int().min(1).max(5000).default(500).describe("Most messages stored in one transaction."),
  highWater: z.number().int().min(1).default(5000).describe("Messages in flight inside the gateway before it stops reading from the broker."),
  verifyWorkers: z
    .number()
    .int()
    .min(0)
    .max(64)
    .default(availableParallelism())
    .describe("Worker threads that parse, validate and verify signatures; 0 verifies on the main thread."),
  maxClockSkewMs: z.number().int().min(0).default(10 * 60_000).describe("How far ahead of the gateway's clock an event may be."),
  maxEventAgeMs: z.number().int().min(0).default(30 * 24 * 3600_000).describe("How old an event may be (longest an outbox may hold it)."),
  quarantinePayloadCapBytes: z.number().int().min(0).default(16 * 1024).describe("Raw payload bytes kept per quarantined message."),
});

export const HttpConfig = z.strictObject({
  host: z.string().default("127.0.0.1").describe("REST API listen address."),
  port: z.number().int().min(0).max(65535).default(8080).describe("REST API listen port (0: any free port)."),
});

export const GatewayConfig = z.strictObject({
  gatewayId: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,48}$/)
    .default(`${hostname().replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 40)}-${process.pid}`)
    .describe("Names this instance in stored rows and its MQTT client id."),
  store: StoreConfig.default({ kind: "sqlite", path: ".carewitness/gateway.db" }),
  mqtt: MqttConfig.default(MqttConfig.parse({})),
  ingest: IngestConfig.default(IngestConfig.parse({})),
  http: HttpConfig.default(HttpConfig.parse({})),
  pseudonymKey: z
    .string()
    .regex(/^(?:[0-9a-fA-F]{2}){32,}$/, "pseudonym key: at least 32 bytes as hex")
    .nullable()
    .default(null)
    .describe("The deployment pseudonym key (hex): billing imports hash ID numbers under it; without it POST /api/v1/billing is refused."),
  templateWrapKey: z
    .string()
    .regex(/^(?:[0-9a-fA-F]{2}){32,}$/, "template wrapping key: at least 32 bytes as hex")
    .nullable()
    .default(null)
    .describe("Secret that wraps each institution's face-template key at rest (gateway/provisioning); null: derived from the pseudonym key, which boxes also hold, so set it in production."),
  evidenceKeyPath: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe("Ed25519 key (PEM, 0600) that signs evidence bundles; every gateway of one deployment needs the same file. null: CAREWITNESS_EVIDENCE_KEY_FILE, else evidence-key.pem beside the SQLite file."),
});
export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type GatewayConfigInput = z.input<typeof GatewayConfig>;
