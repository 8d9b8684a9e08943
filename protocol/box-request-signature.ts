import { createHash, sign, verify, type KeyObject } from "node:crypto";

/**
 * A box authenticates its REST requests (template sync) with the same Ed25519 key that signs its
 * events, so it needs no second credential. It sends three headers; the signature covers
 *
 *   "carewitness-box-request-v1\n" + METHOD + "\n" + path-and-query + "\n" + box + "\n" + at + "\n" + hex(SHA-256(body))
 *
 * `at` is the box's clock in ms since the epoch; the gateway refuses a request whose `at` is further
 * than its skew limit from its own clock, which bounds how long a captured request can be replayed
 * (and the requests themselves are idempotent: an upload stored twice is one template).
 */
export const BOX_REQUEST_HEADERS = {
  box: "x-carewitness-box",
  at: "x-carewitness-at",
  signature: "x-carewitness-signature",
} as const;

export interface BoxRequest {
  readonly method: string;
  /** Path and query exactly as sent, e.g. `/box/v1/templates?after=12`. */
  readonly path: string;
  readonly box: string;
  readonly at: number;
  readonly body: Uint8Array;
}

export function boxRequestSigningBytes(request: BoxRequest): Buffer {
  const bodyHash = createHash("sha256").update(request.body).digest("hex");
  return Buffer.from(`carewitness-box-request-v1\n${request.method.toUpperCase()}\n${request.path}\n${request.box}\n${String(request.at)}\n${bodyHash}`, "utf8");
}

/** The headers a box sends with a request. */
export function signBoxRequest(request: BoxRequest, privateKey: KeyObject): Record<string, string> {
  return {
    [BOX_REQUEST_HEADERS.box]: request.box,
    [BOX_REQUEST_HEADERS.at]: String(request.at),
    [BOX_REQUEST_HEADERS.signature]: sign(null, boxRequestSigningBytes(request), privateKey).toString("base64url"),
  };
}

export function verifyBoxRequest(request: BoxRequest, signature: string, publicKey: KeyObject): boolean {
  return verify(null, boxRequestSigningBytes(request), publicKey, Buffer.from(signature, "base64url"));
}
