import { createHash, createPublicKey, sign, type KeyObject } from "node:crypto";
import { eventSigningBytes, keyIdOf, privateKeyFromSeed, rawPublicKey, type EventMessage } from "../../protocol/index.js";

type EventSignature = EventMessage["sig"];

/**
 * Ed25519 keys derived from the simulation seed: a box's key is SHA-256(seed|purpose|box) used as the
 * RFC 8032 private key seed, so a rerun with the same seed registers the same public keys (the gateway
 * answers "unchanged") and its signatures are byte-identical (Ed25519 signing is deterministic).
 */
export interface BoxKey {
  readonly privateKey: KeyObject;
  /** Raw 32-byte public key, base64url: what registration sends. */
  readonly publicKey: string;
  readonly keyId: string;
}

export type KeyPurpose = "box" | "rogue" | "unregistered";

export function deriveBoxKey(seed: string, purpose: KeyPurpose, box: string): BoxKey {
  const material = createHash("sha256").update(`${seed}|${purpose}|${box}`, "utf8").digest();
  const privateKey = privateKeyFromSeed(material);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey: rawPublicKey(publicKey), keyId: keyIdOf(publicKey) };
}

export function derivePseudonymKey(seed: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`${seed}|pseudonym-key`, "utf8").digest());
}

/**
 * Signs like protocol `signEvent` (Ed25519 over `eventSigningBytes`), but with the key id the box
 * already knows: `signEvent` re-exports the public key for every event, which dominated planning time
 * for large fleets. Takes any object because hostile bodies are deliberately not valid events.
 */
export function signWithKey<T extends object>(body: T, key: Pick<BoxKey, "privateKey" | "keyId">): T & { sig: EventSignature } {
  const value = sign(null, eventSigningBytes(body), key.privateKey).toString("base64url");
  return { ...body, sig: { alg: "Ed25519", keyId: key.keyId, value } };
}
