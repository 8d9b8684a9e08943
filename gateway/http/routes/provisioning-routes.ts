import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { PROVISIONING_REFUSALS, ProvisioningGrant, ProvisioningRequest, type ProvisioningRefusal } from "../../../protocol/index.js";
import { provisionBox } from "../../provisioning/provision-box.js";
import type { GatewayStore } from "../../store/gateway-store.js";
import type { ApiErrorCode } from "../api-error.js";

/**
 * POST /provision/v1/boxes: a box registers its key with a one-time token (the token is the
 * credential, so this route sits outside /api/v1's bearer auth). A refusal carries its `reason`.
 */
export interface ProvisioningRoutesOptions {
  readonly store: GatewayStore;
  readonly pseudonymKey: Uint8Array | null;
  readonly keyWrappingSecret?: Uint8Array | null | undefined;
  readonly onDeviceChanged: (box: string) => void;
}

const RefusalBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
  reason: z.enum([...PROVISIONING_REFUSALS, "bad_public_key"]).optional().describe("Why the request was refused; absent for a malformed request."),
});

const REFUSAL_STATUS: Record<ProvisioningRefusal | "bad_public_key", { status: 400 | 401 | 409 | 503; code: ApiErrorCode }> = {
  bad_public_key: { status: 400, code: "bad_request" },
  token_unknown: { status: 401, code: "unauthenticated" },
  token_expired: { status: 401, code: "unauthenticated" },
  token_used: { status: 409, code: "conflict" },
  box_key_conflict: { status: 409, code: "conflict" },
  provisioning_unavailable: { status: 503, code: "internal" },
};

export const provisioningRoutes: FastifyPluginAsyncZod<ProvisioningRoutesOptions> = async (app, options) => {
  app.post(
    "/provision/v1/boxes",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Provision a box with a one-time token",
        description:
          "The box sends its raw Ed25519 public key and the token an administrator minted (`carewitness tokens provision`). The token is single use: the same key may repeat the request (a retry after a lost answer) and gets the same grant; another key is refused with reason token_used, an expired token with token_expired.",
        security: [],
        body: ProvisioningRequest,
        response: { 200: ProvisioningGrant, 201: ProvisioningGrant, 400: RefusalBody, 401: RefusalBody, 409: RefusalBody, 503: RefusalBody },
      },
    },
    async (request, reply) => {
      const outcome = await provisionBox(options, request.body);
      if (!outcome.ok) {
        const { status, code } = REFUSAL_STATUS[outcome.reason];
        return reply.code(status).send({ error: { code, message: outcome.detail }, reason: outcome.reason });
      }
      return reply.code(outcome.created ? 201 : 200).send(outcome.grant);
    },
  );
};
