import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { eventSigningBytes } from "./canonical-form.js";
import type { EventMessage, UnsignedEvent } from "./messages/event.js";

/**
 * Ed25519 keys and event signatures (node's built-in crypto; RFC 8032). Public keys travel as the
 * 32 raw bytes in base64url (the form a box reports at registration); private keys stay on the box.
 */

// DER prefixes of SubjectPublicKeyInfo / PKCS#8 for Ed25519 (RFC 8410), followed by the 32 raw bytes.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export function publicKeyFromRaw(rawBase64Url: string): KeyObject {
  const raw = Buffer.from(rawBase64Url, "base64url");
  if (raw.length !== 32) throw new RangeError(`Ed25519 public key must be 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

export function rawPublicKey(key: KeyObject): string {
  const der = key.export({ format: "der", type: "spki" });
  return der.subarray(SPKI_PREFIX.length).toString("base64url");
}

/** A private key from a 32-byte seed: the simulator derives reproducible box keys this way. */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError(`Ed25519 seed must be 32 bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

export function generateBoxKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync("ed25519");
}

/** First 16 hex characters of SHA-256 over the raw public key: names the key inside a signature. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256").update(Buffer.from(rawPublicKey(publicKey), "base64url")).digest("hex").slice(0, 16);
}

export function signEvent<E extends UnsignedEvent>(event: E, privateKey: KeyObject): E & { sig: EventMessage["sig"] } {
  const publicKey = createPublicKey(privateKey);
  const value = sign(null, eventSigningBytes(event), privateKey).toString("base64url");
  return { ...event, sig: { alg: "Ed25519", keyId: keyIdOf(publicKey), value } };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: "wrong_key" | "bad_signature"; detail: string };

/** `signingBytes` may be passed when the caller has already computed them (eventSigningBytes). */
export function verifyEventSignature(
  event: EventMessage,
  publicKey: KeyObject,
  expectedKeyId: string,
  signingBytes: Buffer = eventSigningBytes(event),
): SignatureCheck {
  if (event.sig.keyId !== expectedKeyId) {
    return {
      ok: false,
      reason: "wrong_key",
      detail: `signed with key ${event.sig.keyId}, box ${event.box} is registered with key ${expectedKeyId}`,
    };
  }
  const valid = verify(null, signingBytes, publicKey, Buffer.from(event.sig.value, "base64url"));
  return valid
    ? { ok: true }
    : { ok: false, reason: "bad_signature", detail: "Ed25519 signature does not verify over the canonical form" };
}
