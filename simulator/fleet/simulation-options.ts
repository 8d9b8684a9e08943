import { z } from "zod";

/**
 * Every knob of `carewitness simulate`, with its default and a description (the CLI help and the
 * README list them from here). The fleet and traffic parts are separate schemas so `planFleet` and
 * `planTraffic` can be used on their own; `SimulationOptions` is all three and rejects unknown keys,
 * so a misspelt option fails instead of silently doing nothing.
 */

const Seed = z
  .union([z.string().min(1).max(200), z.number().int()])
  .default("carewitness")
  .transform(String)
  .describe("Seed of the whole simulation: equal options and seed give byte-identical messages.");

const PseudonymKey = z
  .union([z.string(), z.instanceof(Uint8Array)])
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return undefined;
    const bytes = typeof value === "string" ? decodeKeyText(value) : value;
    if (bytes.length < 32) {
      ctx.addIssue({ code: "custom", message: `pseudonym key must be at least 32 bytes, got ${bytes.length}` });
      return z.NEVER;
    }
    return new Uint8Array(bytes);
  })
  .describe(
    "Deployment pseudonym key (>= 32 bytes; hex, or base64url, or bytes) for person refs. Default: derived from the seed, which only suits a gateway that does not match refs against billing data.",
  );

/** Hex when the text is only hex digit pairs, base64url otherwise. */
function decodeKeyText(text: string): Uint8Array {
  return /^(?:[0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64url");
}

export const FleetOptions = z.object({
  seed: Seed,
  sites: z.number().int().min(1).max(1000).default(3).describe("Number of institutions (sites)."),
  siteIdPrefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$/)
    .default("H")
    .describe("Prefix of site ids (`H` gives H110101-01); a unique prefix keeps runs apart on a shared broker."),
  stationsPerSite: z.number().int().min(0).max(200).default(8).describe("Dialysis stations per site, one dialysis_station box each."),
  wardsPerSite: z.number().int().min(0).max(50).default(2).describe("Wards per site, one ward_round box each."),
  bedsPerWard: z.number().int().min(1).max(80).default(24).describe("Beds per ward."),
  bedOccupancy: z.number().min(0).max(1).default(0.85).describe("Share of ward beds with an inpatient."),
  stationOccupancy: z
    .number()
    .min(0)
    .max(1)
    .default(0.9)
    .describe("Share of a station's six weekly slots (Mon/Wed/Fri or Tue/Thu/Sat x three shifts) with a patient."),
  pseudonymKey: PseudonymKey,
  pseudonymKeyId: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/)
    .default("sim-k1")
    .describe("Id of the pseudonym key, sent as subject.refKey."),
});
export type FleetOptions = z.output<typeof FleetOptions>;
export type FleetOptionsInput = z.input<typeof FleetOptions>;

export const TrafficOptions = z.object({
  days: z
    .number()
    .int()
    .min(1)
    .max(90)
    .default(3)
    .describe("Days of traffic, ending at endAt. The gateway rejects events older than its maxEventAgeMs (default 30 days) as clock_too_old."),
  endAt: z
    .union([z.iso.datetime({ offset: true }), z.date(), z.number().int().min(0)])
    .transform((value) => (typeof value === "number" ? value : new Date(value).getTime()))
    .describe(
      "End of the simulated period (RFC 3339, Date or epoch ms). Explicit so a plan is reproducible; the CLI passes now. clock_in_future messages are dated a day after it, so they are only in the gateway's future when it is near now.",
    ),
  badShare: z
    .number()
    .min(0)
    .max(0.5)
    .default(0.05)
    .describe("Share of all messages that are hostile or broken, each labelled with the quarantine reason it must get."),
});
export type TrafficOptions = z.output<typeof TrafficOptions>;
export type TrafficOptionsInput = z.input<typeof TrafficOptions>;

export const PublisherOptions = z.object({
  mqttUrl: z.string().default("mqtt://127.0.0.1:1883").describe("MQTT broker URL."),
  mqttUsername: z.string().optional().describe("MQTT user name, if the broker requires one."),
  mqttPassword: z.string().optional().describe("MQTT password, if the broker requires one."),
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5).describe("MQTT protocol version: 4 (3.1.1) or 5."),
  gatewayUrl: z.string().default("http://127.0.0.1:8080").describe("Gateway base URL for device registration."),
  gatewayToken: z.string().optional().describe("Bearer token for the gateway's device API."),
  register: z.boolean().default(true).describe("Register the boxes with the gateway before publishing."),
  connectionsPerSite: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe("MQTT connections per site; 0 gives every box its own connection, as real boxes have."),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .default(200)
    .describe("Cap on MQTT connections in all; above it boxes share connections (a thousand boxes need no thousand sockets)."),
  rate: z.number().min(0).default(0).describe("Publications per second; 0 publishes as fast as the broker acknowledges, within inFlight."),
  inFlight: z.number().int().min(1).default(64).describe("Publications awaiting the broker's PUBACK at once."),
  maxUnacked: z
    .number()
    .int()
    .min(1)
    .default(2000)
    .describe("Valid events published but not yet acked by the gateway before new ones wait (the outboxes' window)."),
  resendAfterMs: z.number().int().min(50).default(10_000).describe("Re-publish a valid event not acked this long after its last publication."),
  deadlineMs: z.number().int().min(100).default(600_000).describe("Stop publishing after this long even if events are still unacked."),
  defectAckWaitMs: z
    .number()
    .int()
    .min(0)
    .default(3000)
    .describe("After every valid event is acked, wait this long for acks of the hostile messages the gateway can ack."),
  sessionExpirySeconds: z
    .number()
    .int()
    .min(0)
    .default(3600)
    .describe("MQTT v5 session expiry: how long the broker keeps a disconnected box's session and queued acks."),
  clientIdPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/)
    .default("cwsim")
    .describe("Prefix of the stable MQTT client ids (one per connection)."),
  connectTimeoutMs: z.number().int().min(100).default(10_000).describe("Give up if the broker does not accept a connection within this time."),
  clearRetainedStatus: z
    .boolean()
    .default(false)
    .describe("At the end, delete the boxes' retained status instead of publishing offline/shutdown (for tests)."),
  progressIntervalMs: z.number().int().min(50).default(1000).describe("How often the progress callback is called."),
});
export type PublisherOptions = z.output<typeof PublisherOptions>;

export const SimulationOptions = z.strictObject({
  ...FleetOptions.shape,
  ...TrafficOptions.shape,
  ...PublisherOptions.shape,
});
export type SimulationOptions = z.output<typeof SimulationOptions>;
export type SimulationOptionsInput = z.input<typeof SimulationOptions>;

export interface OptionDoc {
  readonly name: string;
  /** The default as JSON text; null when the option is required or has none. */
  readonly default: string | null;
  readonly description: string;
}

/** Every option with its default and description, for the CLI help and the README's table. */
export function simulationOptionDocs(): OptionDoc[] {
  const defaults: Record<string, unknown> = SimulationOptions.parse({ endAt: 0 });
  return Object.entries(SimulationOptions.shape).map(([name, schema]) => ({
    name,
    default: name === "endAt" || defaults[name] === undefined ? null : JSON.stringify(defaults[name]),
    description: schema.description ?? "",
  }));
}
