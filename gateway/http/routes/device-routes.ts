import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { keyIdOf, publicKeyFromRaw } from "../../../protocol/index.js";
import type { Device, GatewayStore } from "../../store/gateway-store.js";
import { canSee, principalOf, requireRole, scopedSite } from "../api-auth.js";
import { ApiError } from "../api-error.js";
import { DeviceDetail, DeviceRegistrationBody, DeviceView, ErrorBody, iso, isoOrNull, StatusHistoryItem } from "../api-schemas.js";

export interface DeviceRoutesOptions {
  readonly store: GatewayStore;
  /** Called after a box's registration or state changes, so caches (the ingest key directory) forget it. */
  readonly onDeviceChanged: (box: string) => void;
}

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

export const deviceRoutes: FastifyPluginAsyncZod<DeviceRoutesOptions> = async (app, { store, onDeviceChanged }) => {
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
