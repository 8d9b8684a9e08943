import { userInfo } from "node:os";
import type { GatewayStore } from "../gateway/store/gateway-store.js";

/**
 * Changes made with the CLI directly on the store land in the same hash-chained audit log as the
 * API's (gateway/alerts/api-audit-hook.ts): who (the operating-system user), what and where. Secrets
 * (tokens, keys) are never passed here.
 */
export async function auditCliChange(store: GatewayStore, action: string, subject: string, site: string | null, detail: Record<string, unknown>): Promise<void> {
  await store.alertCases().appendAudit({ at: Date.now(), actor: `cli:${operator()}`, action, subject, site, detail });
}

function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}
