import { z } from "zod";
import { BehaviourSettings, DEFAULT_BEHAVIOUR, RosterEntry } from "./box-settings.js";

/**
 * A box's own configuration: who it is, where its gateway is, its hardware and its behaviour. One
 * strict zod schema (unknown keys are refused, never ignored) with a default and a description per
 * knob; `configVersion` names the schema version and `revision` the gateway's configuration revision
 * last applied. Secrets (signing key, pseudonym key, template key) are files referenced by path,
 * never values in this document.
 */
export const BOX_CONFIG_VERSION = 1 as const;

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);

export const BoxConfig = z.strictObject({
  configVersion: z.literal(BOX_CONFIG_VERSION),
  revision: z.number().int().min(0).default(0).describe("The gateway's configuration revision last applied (0: provisioning defaults)."),
  box: z.strictObject({
    id: Id.describe("This box's id, as registered with the gateway."),
    site: Id.describe("Institution id."),
    role: z.enum(["dialysis_station", "ward_round"]),
    location: z.string().min(1).max(64).nullable().describe("Station id, or ward for a ward-round box."),
  }),
  gateway: z.strictObject({
    mqttUrl: z.string().min(1).describe("Broker URL, e.g. mqtts://gateway.example:8883."),
    httpUrl: z.string().min(1).describe("Gateway REST URL (provisioning, template sync)."),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
  }),
  keys: z.strictObject({
    signingKeyPath: z.string().min(1).describe("Ed25519 private key (PKCS#8 PEM, mode 0600)."),
    pseudonymKeyPath: z.string().min(1).describe("Deployment pseudonym key file (mode 0600)."),
    pseudonymKeyId: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/),
    templateKeyPath: z.string().min(1).describe("The institution's AES-256 face-template key (mode 0600): templates at rest and in sync."),
    templateKeyId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/)
      .nullable()
      .default(null)
      .describe("Id of the institution template key (from provisioning); templates sealed under another key are not imported."),
  }),
  reader: z
    .strictObject({
      port: z.string().min(1).default("/dev/ttyUSB0").describe("Serial port of the ID-card reader."),
      baudRate: z.number().int().default(115200),
    })
    .default({ port: "/dev/ttyUSB0", baudRate: 115200 }),
  camera: z
    .discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("v4l2"), device: z.string().default("/dev/video0"), width: z.number().int().default(640), height: z.number().int().default(480), fps: z.number().int().min(1).max(60).default(15) }),
      z.strictObject({ kind: z.literal("rtsp"), url: z.string().min(1), width: z.number().int().default(640), height: z.number().int().default(480), fps: z.number().int().min(1).max(60).default(15) }),
      z.strictObject({ kind: z.literal("directory"), path: z.string().min(1), fps: z.number().int().min(1).max(60).default(5) }),
    ])
    .default({ kind: "v4l2", device: "/dev/video0", width: 640, height: 480, fps: 15 }),
  behaviour: BehaviourSettings.default(DEFAULT_BEHAVIOUR),
  templates: z
    .strictObject({
      path: z.string().min(1).default("/var/lib/carewitness/templates.db").describe("Encrypted face templates (SQLite)."),
      syncIntervalS: z.number().int().min(5).max(86_400).default(60).describe("How often the box pulls its institution's new templates from the gateway."),
    })
    .default({ path: "/var/lib/carewitness/templates.db", syncIntervalS: 60 }),
  health: z
    .strictObject({
      diskFreeAlarmBytes: z.number().int().min(0).default(512 * 1024 * 1024).describe("Health raises disk_low below this much free space on the outbox volume."),
      clockOffsetAlarmMs: z.number().int().min(0).default(30_000).describe("Health raises clock_offset when the clock is further than this from the reference."),
      cameraStallAlarmMs: z.number().int().min(0).default(5_000).describe("Health reports the camera down when no frame arrived for this long while streaming."),
    })
    .default({ diskFreeAlarmBytes: 512 * 1024 * 1024, clockOffsetAlarmMs: 30_000, cameraStallAlarmMs: 5_000 }),
  roster: z.array(RosterEntry).max(2000).default([]).describe("Beds a ward-round box may pick from."),
  kiosk: z
    .strictObject({
      enabled: z.boolean().default(true).describe("Serve the touch screen's page (device/kiosk)."),
      host: z.string().min(1).default("127.0.0.1").describe("Listen address: the screen is local, so loopback unless the screen is another machine."),
      port: z.number().int().min(0).max(65_535).default(8090).describe("Listen port (0: any free port)."),
      language: z.enum(["zh-CN", "en"]).default("zh-CN"),
    })
    .default({ enabled: true, host: "127.0.0.1", port: 8090, language: "zh-CN" }),
  outbox: z
    .strictObject({
      path: z.string().min(1).default("/var/lib/carewitness/outbox.db"),
      liveWindowMs: z.number().int().min(0).default(60_000),
      backlogPerSecond: z.number().min(0.1).default(50),
      resendAfterMs: z.number().int().min(100).default(30_000),
      backlogAlarm: z.number().int().min(1).default(10_000).describe("Health turns degraded above this many unacknowledged events."),
      keepDeliveredHours: z.number().int().min(0).max(24 * 90).default(168).describe("Acknowledged events are kept this long for the gateway's resend_outbox command (0: not kept)."),
      keepDeliveredBytes: z.number().int().min(0).default(256 * 1024 * 1024).describe("Cap on the acknowledged events kept for resend_outbox; the oldest go first."),
    })
    .default({ path: "/var/lib/carewitness/outbox.db", liveWindowMs: 60_000, backlogPerSecond: 50, resendAfterMs: 30_000, backlogAlarm: 10_000, keepDeliveredHours: 168, keepDeliveredBytes: 256 * 1024 * 1024 }),
});
export type BoxConfig = z.infer<typeof BoxConfig>;
export type BoxConfigInput = z.input<typeof BoxConfig>;
