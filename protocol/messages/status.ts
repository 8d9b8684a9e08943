import { z } from "zod";
import { BoxId, SiteId, Timestamp } from "../identifiers.js";
import { PROTOCOL_VERSION } from "../version.js";

/**
 * The box's availability and health, retained on `cw/v1/{site}/{box}/status`. The box registers an
 * `offline` payload with `reason: "last_will"` as its MQTT will (MQTT-3.1.2-8), so the broker
 * publishes it when the connection drops without a DISCONNECT; on connecting it publishes `online`.
 */
const ComponentHealth = z.enum(["ok", "degraded", "down", "absent"]);

/** Health alarms a box raises when a threshold is crossed. */
export const STATUS_ALARMS = ["outbox_backlog", "disk_low", "clock_offset", "reader_down", "camera_down"] as const;
export type StatusAlarm = (typeof STATUS_ALARMS)[number];

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
        // Added in v1 without a version change: optional, so boxes that do not send them stay valid.
        models: z.array(z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/)).max(8).optional().describe("Face models in use, as id@version."),
        lastEventAt: Timestamp.nullable().optional().describe("When the box last produced a check event."),
        disk: z
          .strictObject({ freeBytes: z.number().int().min(0), totalBytes: z.number().int().min(0) })
          .nullable()
          .optional()
          .describe("Free and total space of the volume holding the outbox."),
        clockOffsetMs: z.number().int().nullable().optional().describe("The box's clock minus the reference clock (gateway or NTP), ms; null if unknown."),
        alarms: z.array(z.enum(STATUS_ALARMS)).max(STATUS_ALARMS.length).optional().describe("Thresholds the box has crossed (health thresholds in its configuration)."),
        configRevision: z.number().int().min(0).optional().describe("The configuration revision the box runs (the last push it applied; 0: provisioning defaults)."),
        overdueSessions: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe("Dialysis check-ins this box saw pass the maximum session duration without a check-out, since the agent started."),
      })
      .nullable()
      .describe("Component health; null in a last will."),
  })
  .describe("A box's retained availability and health.");
export type StatusMessage = z.infer<typeof StatusMessage>;
