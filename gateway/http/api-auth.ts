import { createHash, randomBytes } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { ApiRole, GatewayStore } from "../store/gateway-store.js";
import { ApiError } from "./api-error.js";

/**
 * Bearer-token auth with roles. admin: everything; supervisor (the insurer): read every institution;
 * hospital: read and register boxes of its own institution only. Tokens are random 32 bytes shown
 * once; the store keeps only their SHA-256.
 */
export interface Principal {
  readonly name: string;
  readonly role: ApiRole;
  readonly site: string | null;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function newApiToken(): { token: string; tokenHash: string } {
  const token = `cwt_${randomBytes(32).toString("base64url")}`;
  return { token, tokenHash: hashApiToken(token) };
}

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function authenticate(store: GatewayStore) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1];
    if (token === undefined) throw new ApiError(401, "unauthenticated", "an Authorization: Bearer <token> header is required");
    const record = await store.findApiToken(hashApiToken(token));
    if (record === undefined) throw new ApiError(401, "unauthenticated", "unknown or revoked token");
    request.principal = { name: record.name, role: record.role, site: record.site };
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new ApiError(401, "unauthenticated", "not authenticated");
  return request.principal;
}

export function requireRole(request: FastifyRequest, ...roles: ApiRole[]): Principal {
  const principal = principalOf(request);
  if (!roles.includes(principal.role)) {
    throw new ApiError(403, "forbidden", `role ${principal.role} may not do this (needs ${roles.join(" or ")})`);
  }
  return principal;
}

/**
 * The institution a list query is confined to: a hospital token always sees only its own, and
 * asking for another is refused rather than silently narrowed.
 */
export function scopedSite(principal: Principal, requested: string | undefined): string | undefined {
  if (principal.role !== "hospital") return requested;
  if (requested !== undefined && requested !== principal.site) {
    throw new ApiError(403, "forbidden", "a hospital token may only read its own institution");
  }
  return principal.site ?? "\u0000no-site";
}

/** For single resources: another institution's resource is reported as absent, not as forbidden. */
export function canSee(principal: Principal, site: string | null): boolean {
  return principal.role !== "hospital" || (site !== null && site === principal.site);
}
