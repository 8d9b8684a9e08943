import type { ProvisioningRefusal } from "../../protocol/index.js";

/**
 * What can go wrong provisioning a box or loading its secrets, with the context to act on it. A
 * refusal by the gateway keeps the gateway's reason (`token_used`, `token_expired`, ...).
 */
export const BOX_PROVISIONING_ERROR_CODES = [
  "gateway_unreachable",
  "gateway_refused",
  "bad_answer",
  "key_unreadable",
  "secret_missing",
  "secret_exposed",
  "secret_invalid",
] as const;
export type BoxProvisioningErrorCode = (typeof BOX_PROVISIONING_ERROR_CODES)[number];

export class BoxProvisioningError extends Error {
  constructor(
    readonly code: BoxProvisioningErrorCode,
    message: string,
    /** The gateway's reason, for `gateway_refused`. */
    readonly reason: ProvisioningRefusal | "bad_public_key" | null = null,
  ) {
    super(message);
    this.name = "BoxProvisioningError";
  }
}
