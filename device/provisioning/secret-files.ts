import { existsSync, readFileSync, statSync } from "node:fs";
import { writeFileAtomically } from "../../firmware-config/box-config-file.js";
import { BoxProvisioningError } from "./provisioning-error.js";

/**
 * The box's secrets on disk: written atomically with mode 0600, and refused on reading when another
 * user could read them (as ssh refuses a private key with loose permissions).
 */
export function writeSecretFile(path: string, text: string): void {
  writeFileAtomically(path, text.endsWith("\n") ? text : `${text}\n`);
}

export function readSecretFile(path: string): string {
  if (!existsSync(path)) throw new BoxProvisioningError("secret_missing", `${path} does not exist: provision the box first (carewitness device provision)`);
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new BoxProvisioningError("secret_exposed", `${path} has mode ${mode.toString(8).padStart(4, "0")}: other users can read it; chmod 600 it`);
  }
  return readFileSync(path, "utf8").trim();
}

/** A key stored as hex text, of at least `minBytes` bytes (exactly, when `exactBytes`). */
export function readHexKey(path: string, minBytes: number, exactBytes = false): Buffer {
  const text = readSecretFile(path);
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) throw new BoxProvisioningError("secret_invalid", `${path} is not a hex key`);
  const key = Buffer.from(text, "hex");
  if (key.length < minBytes || (exactBytes && key.length !== minBytes)) {
    throw new BoxProvisioningError("secret_invalid", `${path} holds ${key.length} bytes, expected ${exactBytes ? "" : "at least "}${minBytes}`);
  }
  return key;
}
