import type { KeyObject } from "node:crypto";
import type { BoxConfig } from "../../firmware-config/box-config.js";
import { loadBoxKey } from "./box-key.js";
import { readHexKey } from "./secret-files.js";

/**
 * The secrets a provisioned box runs with, loaded from the files its configuration names. Throws a
 * BoxProvisioningError (secret_missing, secret_exposed, secret_invalid, key_unreadable) naming the file.
 */
export interface BoxSecrets {
  readonly signingKey: KeyObject;
  readonly keyId: string;
  readonly pseudonymKey: Buffer;
  readonly templateKey: Buffer;
}

export function loadBoxSecrets(config: BoxConfig): BoxSecrets {
  const key = loadBoxKey(config.keys.signingKeyPath);
  return {
    signingKey: key.privateKey,
    keyId: key.keyId,
    pseudonymKey: readHexKey(config.keys.pseudonymKeyPath, 32),
    templateKey: readHexKey(config.keys.templateKeyPath, 32, true),
  };
}
