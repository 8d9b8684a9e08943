import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { BoxConfig } from "../../firmware-config/box-config.js";
import { readBoxConfig, writeBoxConfig } from "../../firmware-config/box-config-file.js";
import type { ProvisioningGrant } from "../../protocol/index.js";
import { loadOrCreateBoxKey } from "./box-key.js";
import { requestProvisioning } from "./provisioning-client.js";
import { writeSecretFile } from "./secret-files.js";

/**
 * `carewitness device provision`: the box's key pair (made once, kept on retries), registration with
 * the gateway under a one-time token, then its secrets and configuration written into `dir`:
 *
 *   box.key        Ed25519 private key, PKCS#8 PEM, 0600
 *   pseudonym.key  deployment pseudonym key, hex, 0600
 *   template.key   institution face-template key, hex, 0600
 *   box.json       the box configuration (firmware-config), 0600, previous one kept as box.json.previous
 *
 * Hardware settings (reader, camera) of an existing configuration are kept, so re-provisioning a box
 * does not undo its local setup.
 */
export interface ProvisionOptions {
  readonly gatewayUrl: string;
  readonly token: string;
  readonly dir: string;
  readonly agentVersion: string | null;
  readonly timeoutMs?: number | undefined;
}

export interface ProvisionResult {
  readonly configPath: string;
  readonly config: BoxConfig;
  readonly keyCreated: boolean;
  readonly keyId: string;
}

export const BOX_FILES = { key: "box.key", pseudonymKey: "pseudonym.key", templateKey: "template.key", config: "box.json", outbox: "outbox.db", templates: "templates.db" } as const;

export async function provisionDevice(options: ProvisionOptions): Promise<ProvisionResult> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = loadOrCreateBoxKey(join(dir, BOX_FILES.key));
  const grant = await requestProvisioning({ gatewayUrl: options.gatewayUrl, token: options.token, publicKey: key.publicKey, agentVersion: options.agentVersion, timeoutMs: options.timeoutMs });
  writeSecretFile(join(dir, BOX_FILES.pseudonymKey), grant.pseudonymKey);
  writeSecretFile(join(dir, BOX_FILES.templateKey), Buffer.from(grant.templateKey, "base64url").toString("hex"));
  const configPath = join(dir, BOX_FILES.config);
  const existing = readBoxConfig(configPath);
  const config = boxConfigFromGrant(grant, dir, options.gatewayUrl, existing.ok ? existing.config : null);
  writeBoxConfig(configPath, config);
  return { configPath, config, keyCreated: key.created, keyId: key.keyId };
}

/** The configuration a grant gives, with files in `dir`; keeps the hardware settings of `previous`. */
export function boxConfigFromGrant(grant: ProvisioningGrant, dir: string, gatewayUrl: string, previous: BoxConfig | null): BoxConfig {
  return BoxConfig.parse({
    configVersion: 1,
    box: { id: grant.box, site: grant.site, role: grant.role, location: grant.location },
    gateway: { mqttUrl: grant.mqttUrl, httpUrl: gatewayUrl },
    keys: {
      signingKeyPath: join(dir, BOX_FILES.key),
      pseudonymKeyPath: join(dir, BOX_FILES.pseudonymKey),
      pseudonymKeyId: grant.pseudonymKeyId,
      templateKeyPath: join(dir, BOX_FILES.templateKey),
      templateKeyId: grant.templateKeyId,
    },
    ...(previous === null ? {} : { reader: previous.reader, camera: previous.camera }),
    outbox: { path: join(dir, BOX_FILES.outbox) },
    templates: { path: join(dir, BOX_FILES.templates) },
  });
}
