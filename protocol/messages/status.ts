import { z } from "zod";
import { BoxId, SiteId, Timestamp } from "../identifiers.js";
import { PROTOCOL_VERSION } from "../version.js";

/**
 * The box's availability and health, retained on `cw/v1/{site}/{box}/status`. The box registers an
 * `offline` payload with `reason: "last_will"` as its MQTT will (MQTT-3.1.2-8), so the broker
 * publishes it when the connection drops without a DISCONNECT; on connecting it publishes `online`.
 */
const ComponentHealth = z.enum(["ok", "degraded", "down", "absent"]);

export const StatusMessage = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    site: SiteId,
    box: BoxId,
    state: z.enum(["online", "offline"]),
    reason: z.enum(["connected", "shutdown", "last_will"]),
    at: Timestamp.describe("When the box produced this status (for a last will: when it connected)."),
    agentVersion: z.string().min(1).max(40).nullable(),
    health: z
      .strictObject({
        reader: ComponentHealth,
        camera: ComponentHealth,
        outboxDepth: z.number().int().min(0),
        oldestPendingAt: Timestamp.nullable(),
      })
      .nullable()
      .describe("Component health; null in a last will."),
  })
  .describe("A box's retained availability and health.");
export type StatusMessage = z.infer<typeof StatusMessage>;
