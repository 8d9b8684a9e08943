import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { BoxConfig } from "../../firmware-config/box-config.js";

/**
 * The box's secrets, read from the files its configuration names (written by provisioning, mode
 * 0600): the Ed25519 signing key (PKCS#8 PEM), the deployment pseudonym key and the institution's
 * template key. Key files may hold lowercase hex, base64url or the raw bytes.
 */
export interface BoxSecrets {
  readonly signingKey: KeyObject;
  readonly pseudonymKey: Buffer;
  readonly templateKey: Buffer;
}

export class BoxSecretsError extends Error {
  constructor(
    readonly code: "unreadable" | "bad_signing_key" | "bad_pseudonym_key" | "bad_template_key",
    message: string,
  ) {
    super(message);
    this.name = "BoxSecretsError";
  }
}

/** Hex, base64url or raw bytes, in that order of preference. */
export function keyBytes(file: Buffer): Buffer {
  const text = file.toString("utf8").trim();
  if (/^(?:[0-9a-fA-F]{2})+$/.test(text)) return Buffer.from(text, "hex");
  if (/^[A-Za-z0-9_-]+={0,2}$/.test(text) && text.length >= 16) return Buffer.from(text, "base64url");
  return file;
}

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new BoxSecretsError("unreadable", `${path}: ${(error as Error).message}`);
  }
}

export function loadBoxSecrets(keys: Pick<BoxConfig["keys"], "signingKeyPath" | "pseudonymKeyPath" | "templateKeyPath">): BoxSecrets {
  let signingKey: KeyObject;
  try {
    signingKey = createPrivateKey(read(keys.signingKeyPath));
  } catch (error) {
    if (error instanceof BoxSecretsError) throw error;
    throw new BoxSecretsError("bad_signing_key", `${keys.signingKeyPath}: not a PKCS#8 private key`);
  }
  if (signingKey.asymmetricKeyType !== "ed25519") throw new BoxSecretsError("bad_signing_key", `${keys.signingKeyPath}: ${signingKey.asymmetricKeyType ?? "?"} key, Ed25519 expected`);
  const pseudonymKey = keyBytes(read(keys.pseudonymKeyPath));
  if (pseudonymKey.length < 32) throw new BoxSecretsError("bad_pseudonym_key", `${keys.pseudonymKeyPath}: ${pseudonymKey.length} bytes, at least 32 expected`);
  const templateKey = keyBytes(read(keys.templateKeyPath));
  if (templateKey.length !== 32) throw new BoxSecretsError("bad_template_key", `${keys.templateKeyPath}: ${templateKey.length} bytes, 32 expected`);
  return { signingKey, pseudonymKey, templateKey };
}
