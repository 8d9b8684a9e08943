import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { CommandMessage, keyIdOf, PROTOCOL_VERSION, publicKeyFromRaw } from "../../../protocol/index.js";
import type { Device, GatewayStore } from "../../store/gateway-store.js";
import { canSee, principalOf, requireRole, scopedSite } from "../api-auth.js";
import { ApiError } from "../api-error.js";
import { DeviceDetail, DeviceRegistrationBody, DeviceView, ErrorBody, iso, isoOrNull, StatusHistoryItem } from "../api-schemas.js";

export interface DeviceRoutesOptions {
  readonly store: GatewayStore;
  /** Called after a box's registration or state changes, so caches (the ingest key directory) forget it. */
  readonly onDeviceChanged: (box: string) => void;
  /** Publishes a command to one box (cw/v1/{site}/{box}/commands); absent: commands answer 503. */
  readonly commandBox?: ((site: string, box: string, body: string) => Promise<void>) | undefined;
}

/** What an operator may send a box from the API (the watch list is the gateway's own to push). */
const OPERATOR_COMMANDS = ["report_health", "resend_outbox", "sync_templates", "restart_agent"] as const;

const DeviceCommandBody = z
  .strictObject({
    command: z.enum(OPERATOR_COMMANDS),
    fromSeq: z.number().int().min(1).optional().describe("resend_outbox: republish the box's events from this sequence number on."),
    ttlSeconds: z.number().int().min(10).max(7 * 86_400).default(3600).describe("The box ignores the command after this long (offline boxes)."),
  })
  .describe("A command for one box; its answer is written to the audit log as device.command_answered.");

const DeviceCommandView = z.object({ id: z.string(), box: z.string(), site: z.string(), command: z.enum(OPERATOR_COMMANDS), issuedAt: z.string(), expiresAt: z.string() });

export function deviceView(device: Device): z.infer<typeof DeviceView> {
  return {
    box: device.box,
    site: device.site,
    role: device.role,
    location: device.location,
    publicKey: device.publicKey,
    keyId: device.keyId,
    enabled: device.enabled,
    registeredAt: iso(device.registeredAt),
    state: device.state,
    stateChangedAt: isoOrNull(device.stateChangedAt),
  };
}

export const deviceRoutes: FastifyPluginAsyncZod<DeviceRoutesOptions> = async (app, { store, onDeviceChanged, commandBox }) => {
  async function visibleDevice(box: string, principal: ReturnType<typeof principalOf>): Promise<Device> {
    const device = await store.getDevice(box);
    if (device === undefined || !canSee(principal, device.site)) throw new ApiError(404, "not_found", `no box ${box}`);
    return device;
  }

  app.get(
    "/devices",
    {
      schema: {
        tags: ["devices"],
        summary: "List registered boxes",
        querystring: z.strictObject({ site: z.string().optional() }),
        response: { 200: z.object({ items: z.array(DeviceView) }) },
      },
    },
    async (request) => {
      const site = scopedSite(principalOf(request), request.query.site);
      const devices = await store.listDevices({ site });
      return { items: devices.map(deviceView) };
    },
  );

  app.post(
    "/devices",
    {
      schema: {
        tags: ["devices"],
        summary: "Register a box with its Ed25519 public key",
        description: "admin: any institution; hospital: its own. Re-registering the same key is a no-op (200); another key is a conflict (409) unless an admin passes replaceKey=true.",
        querystring: z.strictObject({ replaceKey: z.enum(["true", "false"]).default("false") }),
        body: DeviceRegistrationBody,
        response: { 200: DeviceView, 201: DeviceView, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "admin", "hospital");
      const body = request.body;
      if (!canSee(principal, body.site)) throw new ApiError(403, "forbidden", "a hospital token may only register boxes of its own institution");
      const replaceKey = request.query.replaceKey === "true";
      if (replaceKey) requireRole(request, "admin");
      let keyId: string;
      try {
        keyId = keyIdOf(publicKeyFromRaw(body.publicKey));
      } catch (error) {
        throw new ApiError(400, "bad_request", `publicKey is not an Ed25519 key: ${(error as Error).message}`);
      }
      const existing = await store.getDevice(body.box);
      if (existing !== undefined && !canSee(principal, existing.site)) throw new ApiError(409, "conflict", `box id ${body.box} is taken`);
      const outcome = await store.registerDevice({ ...body, keyId }, { replaceKey });
      if (outcome.result === "conflict") throw new ApiError(409, "conflict", outcome.detail);
      onDeviceChanged(body.box);
      return reply.code(outcome.result === "created" ? 201 : 200).send(deviceView(outcome.device));
    },
  );

  app.get(
    "/devices/:box",
    {
      schema: {
        tags: ["devices"],
        summary: "One box, with its sequence statistics (gaps)",
        params: z.object({ box: z.string() }),
        response: { 200: DeviceDetail, 404: ErrorBody },
      },
    },
    async (request) => {
      const device = await visibleDevice(request.params.box, principalOf(request));
      const sequence = await store.sequenceStats(device.box);
      return { ...deviceView(device), sequence: { stored: sequence.stored, maxSeq: sequence.maxSeq, missing: sequence.missing } };
    },
  );

  app.patch(
    "/devices/:box",
    {
      schema: {
        tags: ["devices"],
        summary: "Enable or disable a box (admin); a disabled box's events are quarantined",
        params: z.object({ box: z.string() }),
        body: z.strictObject({ enabled: z.boolean() }),
        response: { 200: DeviceView, 404: ErrorBody },
      },
    },
    async (request) => {
      requireRole(request, "admin");
      const device = await store.setDeviceEnabled(request.params.box, request.body.enabled);
      if (device === undefined) throw new ApiError(404, "not_found", `no box ${request.params.box}`);
      onDeviceChanged(device.box);
      return deviceView(device);
    },
  );

  app.post(
    "/devices/:box/commands",
    {
      schema: {
        tags: ["devices"],
        summary: "Send a box a command (admin: any box; hospital: its own)",
        description:
          "report_health, resend_outbox (fromSeq: the box republishes its events from there on; acknowledged ones are kept 7 days by default), sync_templates, restart_agent. Sent at once over MQTT (QoS 1) and audited as device.command_sent; the box's answer is audited as device.command_answered with the same command id.",
        params: z.object({ box: z.string() }),
        body: DeviceCommandBody,
        response: { 202: DeviceCommandView, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "admin", "hospital");
      const device = await visibleDevice(request.params.box, principal);
      const { command, fromSeq, ttlSeconds } = request.body;
      if (command === "resend_outbox" && fromSeq === undefined) throw new ApiError(400, "bad_request", "resend_outbox needs fromSeq");
      if (commandBox === undefined) throw new ApiError(503, "unavailable", "this gateway has no MQTT connection to send commands on");
      const now = Date.now();
      const message = CommandMessage.parse({
        v: PROTOCOL_VERSION,
        id: randomUUID(),
        issuedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
        command,
        args: command === "resend_outbox" ? { fromSeq } : {},
      });
      await store.alertCases().appendAudit({
        at: now,
        actor: `${principal.role}:${principal.name}`,
        action: "device.command_sent",
        subject: `device/${device.box}`,
        site: device.site,
        detail: { commandId: message.id, command, args: message.args, expiresAt: message.expiresAt },
      });
      await commandBox(device.site, device.box, JSON.stringify(message));
      return reply.code(202).send({ id: message.id, box: device.box, site: device.site, command, issuedAt: message.issuedAt, expiresAt: message.expiresAt });
    },
  );

  app.get(
    "/devices/:box/status-history",
    {
      schema: {
        tags: ["devices"],
        summary: "Online/offline history of a box, newest first",
        params: z.object({ box: z.string() }),
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ items: z.array(StatusHistoryItem) }), 404: ErrorBody },
      },
    },
    async (request) => {
      const device = await visibleDevice(request.params.box, principalOf(request));
      const history = await store.statusHistory(device.box, request.query.limit);
      return { items: history.map((h) => ({ state: h.state, reason: h.reason, at: iso(h.at), receivedAt: iso(h.receivedAt) })) };
    },
  );
};
