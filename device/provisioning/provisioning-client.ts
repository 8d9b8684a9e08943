import { PROTOCOL_VERSION, PROVISIONING_REFUSALS, ProvisioningGrant, type ProvisioningRefusal } from "../../protocol/index.js";
import { BoxProvisioningError } from "./provisioning-error.js";

/** The box's side of POST /provision/v1/boxes (protocol/messages/box-rest.ts). */
export interface ProvisioningCall {
  readonly gatewayUrl: string;
  readonly token: string;
  readonly publicKey: string;
  readonly agentVersion: string | null;
  readonly timeoutMs?: number | undefined;
}

function refusalReason(body: unknown): ProvisioningRefusal | "bad_public_key" | null {
  const reason = typeof body === "object" && body !== null ? (body as { reason?: unknown }).reason : undefined;
  return typeof reason === "string" && ([...PROVISIONING_REFUSALS, "bad_public_key"] as string[]).includes(reason) ? (reason as ProvisioningRefusal | "bad_public_key") : null;
}

function messageOf(body: unknown): string {
  const error = typeof body === "object" && body !== null ? (body as { error?: { message?: unknown } }).error : undefined;
  return typeof error?.message === "string" ? error.message : JSON.stringify(body);
}

export async function requestProvisioning(call: ProvisioningCall): Promise<ProvisioningGrant> {
  const url = new URL("/provision/v1/boxes", call.gatewayUrl).toString();
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ v: PROTOCOL_VERSION, token: call.token, publicKey: call.publicKey, agentVersion: call.agentVersion }),
      signal: AbortSignal.timeout(call.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new BoxProvisioningError("gateway_unreachable", `${url}: ${(error as Error).message}`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BoxProvisioningError("bad_answer", `${url} answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const reason = refusalReason(body);
    throw new BoxProvisioningError("gateway_refused", `the gateway refused (${response.status}${reason === null ? "" : `, ${reason}`}): ${messageOf(body)}`, reason);
  }
  const grant = ProvisioningGrant.safeParse(body);
  if (!grant.success) throw new BoxProvisioningError("bad_answer", `the gateway's grant does not validate: ${grant.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return grant.data;
}
