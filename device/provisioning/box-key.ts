import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { generateBoxKeyPair, keyIdOf, rawPublicKey } from "../../protocol/index.js";
import { BoxProvisioningError } from "./provisioning-error.js";
import { readSecretFile, writeSecretFile } from "./secret-files.js";

/**
 * The box's Ed25519 identity: a PKCS#8 PEM private key file (mode 0600) that signs its events and its
 * REST requests. An existing key is reused, so a provisioning retried after a lost answer presents
 * the same key and the gateway recognises the retry.
 */
export interface BoxKey {
  readonly privateKey: KeyObject;
  /** Raw 32-byte public key, base64url (as registered with the gateway). */
  readonly publicKey: string;
  readonly keyId: string;
}

export function loadBoxKey(path: string): BoxKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readSecretFile(path));
  } catch (error) {
    if (error instanceof BoxProvisioningError) throw error;
    throw new BoxProvisioningError("key_unreadable", `${path} is not a PEM private key: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== "ed25519") throw new BoxProvisioningError("key_unreadable", `${path} holds a ${String(privateKey.asymmetricKeyType)} key, not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey: rawPublicKey(publicKey), keyId: keyIdOf(publicKey) };
}

export function loadOrCreateBoxKey(path: string): BoxKey & { readonly created: boolean } {
  if (existsSync(path)) return { ...loadBoxKey(path), created: false };
  const { privateKey } = generateBoxKeyPair();
  writeSecretFile(path, privateKey.export({ format: "pem", type: "pkcs8" }).toString());
  return { ...loadBoxKey(path), created: true };
}
