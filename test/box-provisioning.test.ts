import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBoxConfig } from "../firmware-config/box-config-file.js";
import { loadBoxSecrets } from "../device/provisioning/box-secrets.js";
import { BOX_FILES, provisionDevice } from "../device/provisioning/provision-device.js";
import type { BoxProvisioningError } from "../device/provisioning/provisioning-error.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { startProvisioningGateway } from "./fixtures/provisioning-gateway.js";
import { mintProvisioningToken, type ProvisioningTokenSpec } from "../gateway/provisioning/provisioning-tokens.js";
import { keyWrappingKey, pseudonymKeyIdOf, unwrapSiteKey } from "../gateway/provisioning/site-template-keys.js";

/**
 * `carewitness device provision` against a real gateway (SQLite, embedded broker) started in-process:
 * the box's key, the one-time token's rules, and what the box ends up with on disk.
 */
const PSEUDONYM_KEY = randomBytes(32);
let dir: string;
let gateway: RunningGateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-provisioning-"));
  gateway = await startProvisioningGateway(dir, PSEUDONYM_KEY);
});

afterAll(async () => {
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

function spec(fields: Partial<ProvisioningTokenSpec> = {}): ProvisioningTokenSpec {
  return { box: "prov-chair-1", site: "H-PROV-A", role: "dialysis_station", location: "chair-1", mqttUrl: gateway.mqttUrl, replaceKey: false, createdBy: "test", ...fields };
}

async function refusal(work: Promise<unknown>): Promise<{ code: string; reason: string | null; message: string }> {
  try {
    await work;
  } catch (error) {
    const e = error as BoxProvisioningError;
    return { code: e.code, reason: e.reason, message: e.message };
  }
  throw new Error("expected the provisioning to be refused");
}

describe("provisioning a box against a real gateway", () => {
  it("registers a new key and writes the key (0600), the secrets (0600) and a valid configuration", async () => {
    const { token } = await mintProvisioningToken(gateway.store, spec());
    const boxDir = join(dir, "box-1");
    const result = await provisionDevice({ gatewayUrl: gateway.httpUrl, token, dir: boxDir, agentVersion: "test" });

    for (const file of [BOX_FILES.key, BOX_FILES.pseudonymKey, BOX_FILES.templateKey, BOX_FILES.config]) {
      expect(statSync(join(boxDir, file)).mode & 0o777, file).toBe(0o600);
    }
    const config = readBoxConfig(join(boxDir, BOX_FILES.config));
    expect(config).toMatchObject({
      ok: true,
      config: {
        box: { id: "prov-chair-1", site: "H-PROV-A", role: "dialysis_station", location: "chair-1" },
        gateway: { mqttUrl: gateway.mqttUrl, httpUrl: gateway.httpUrl },
        keys: { pseudonymKeyId: pseudonymKeyIdOf(PSEUDONYM_KEY) },
      },
    });
    const secrets = loadBoxSecrets(result.config);
    expect(secrets.pseudonymKey.equals(PSEUDONYM_KEY)).toBe(true);
    expect(secrets.templateKey).toHaveLength(32);
    expect(result.keyCreated).toBe(true);

    const device = await gateway.store.getDevice("prov-chair-1");
    expect(device).toMatchObject({ site: "H-PROV-A", keyId: result.keyId, enabled: true });
    expect(secrets.keyId).toBe(result.keyId);
  });

  it("a retry with the same key after a lost answer is granted again; the same token from another key is refused as used", async () => {
    const { token } = await mintProvisioningToken(gateway.store, spec({ box: "prov-chair-2", location: "chair-2" }));
    const boxDir = join(dir, "box-2");
    const first = await provisionDevice({ gatewayUrl: gateway.httpUrl, token, dir: boxDir, agentVersion: null });
    const retry = await provisionDevice({ gatewayUrl: gateway.httpUrl, token, dir: boxDir, agentVersion: null });
    expect(retry).toMatchObject({ keyCreated: false, keyId: first.keyId });
    expect(existsSync(join(boxDir, `${BOX_FILES.config}.previous`))).toBe(true);

    const stolen = await refusal(provisionDevice({ gatewayUrl: gateway.httpUrl, token, dir: join(dir, "intruder"), agentVersion: null }));
    expect(stolen).toMatchObject({ code: "gateway_refused", reason: "token_used" });
    expect((await gateway.store.getDevice("prov-chair-2"))?.keyId).toBe(first.keyId);
  });

  it("refuses an expired token and an unknown one with their reasons, and writes no configuration", async () => {
    const { token } = await mintProvisioningToken(gateway.store, spec({ box: "prov-late", lifetimeMs: 60_000 }), Date.now() - 120_000);
    const lateDir = join(dir, "late");
    expect(await refusal(provisionDevice({ gatewayUrl: gateway.httpUrl, token, dir: lateDir, agentVersion: null }))).toMatchObject({ reason: "token_expired" });
    expect(existsSync(join(lateDir, BOX_FILES.config))).toBe(false);
    expect(await gateway.store.getDevice("prov-late")).toBeUndefined();
    const unknown = await refusal(provisionDevice({ gatewayUrl: gateway.httpUrl, token: `cwp_${randomBytes(32).toString("base64url")}`, dir: lateDir, agentVersion: null }));
    expect(unknown).toMatchObject({ code: "gateway_refused", reason: "token_unknown" });
  });

  it("a token for a box id that has another key is refused, unless it was minted to replace the key", async () => {
    const { token } = await mintProvisioningToken(gateway.store, spec());
    const swapDir = join(dir, "swap");
    expect(await refusal(provisionDevice({ gatewayUrl: gateway.httpUrl, token, dir: swapDir, agentVersion: null }))).toMatchObject({ reason: "box_key_conflict" });
    const replace = await mintProvisioningToken(gateway.store, spec({ replaceKey: true }));
    const swapped = await provisionDevice({ gatewayUrl: gateway.httpUrl, token: replace.token, dir: swapDir, agentVersion: null });
    expect((await gateway.store.getDevice("prov-chair-1"))?.keyId).toBe(swapped.keyId);
  });

  it("boxes of one institution get the same template key, another institution another; the database holds it only wrapped", async () => {
    const grants = [];
    for (const [box, site] of [["prov-a-3", "H-PROV-A"], ["prov-b-1", "H-PROV-B"]] as const) {
      const { token } = await mintProvisioningToken(gateway.store, spec({ box, site }));
      const result = await provisionDevice({ gatewayUrl: gateway.httpUrl, token, dir: join(dir, box), agentVersion: null });
      grants.push(loadBoxSecrets(result.config).templateKey);
    }
    const first = readBoxConfig(join(dir, "box-1", BOX_FILES.config));
    const siteAKey = first.ok ? loadBoxSecrets(first.config).templateKey : Buffer.alloc(0);
    expect(grants[0]?.equals(siteAKey)).toBe(true);
    expect(grants[1]?.equals(siteAKey)).toBe(false);
    const database = Buffer.concat([join(dir, "gateway.db"), join(dir, "gateway.db-wal")].filter(existsSync).map((path) => readFileSync(path)));
    expect(database.includes(siteAKey)).toBe(false);
    expect(database.includes(siteAKey.toString("hex"))).toBe(false);
  });

  it("a gateway unreachable at the given URL is reported as such", async () => {
    const { token } = await mintProvisioningToken(gateway.store, spec({ box: "prov-nowhere" }));
    expect(await refusal(provisionDevice({ gatewayUrl: "http://127.0.0.1:9", token, dir: join(dir, "nowhere"), agentVersion: null, timeoutMs: 2000 }))).toMatchObject({
      code: "gateway_unreachable",
    });
  });
});

describe("a gateway with its own template wrapping key (--template-wrap-key)", () => {
  it("wraps the institution's template key under that key, not under the pseudonym key boxes hold", async () => {
    const wrapKey = randomBytes(32);
    const own = mkdtempSync(join(tmpdir(), "cw-provisioning-wrap-"));
    const wrapped = await startGateway({
      store: { kind: "sqlite", path: join(own, "gateway.db") },
      mqtt: { url: null, embeddedPort: 0 },
      http: { port: 0 },
      ingest: { verifyWorkers: 0 },
      pseudonymKey: PSEUDONYM_KEY.toString("hex"),
      templateWrapKey: wrapKey.toString("hex"),
    });
    try {
      const { token } = await mintProvisioningToken(wrapped.store, { box: "wrap-chair", site: "H-WRAP", role: "dialysis_station", location: "chair-1", mqttUrl: wrapped.mqttUrl, replaceKey: false, createdBy: "test" });
      const result = await provisionDevice({ gatewayUrl: wrapped.httpUrl, token, dir: join(own, "box"), agentVersion: null });
      const boxKey = loadBoxSecrets(result.config).templateKey;
      const stored = await wrapped.store.siteTemplateKey({ site: "H-WRAP", keyId: "unused", wrappedKey: Buffer.alloc(0), createdAt: 0 });
      expect(unwrapSiteKey(keyWrappingKey(wrapKey), "H-WRAP", stored.keyId, stored.wrappedKey).equals(boxKey)).toBe(true);
      expect(() => unwrapSiteKey(keyWrappingKey(PSEUDONYM_KEY), "H-WRAP", stored.keyId, stored.wrappedKey)).toThrow(/does not unwrap/);
    } finally {
      await wrapped.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});
