import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { generateBoxKeyPair, rawPublicKey } from "../../../protocol/index.js";
import { mintProvisioningToken } from "../../provisioning/provisioning-tokens.js";
import type { GatewayStore } from "../../store/gateway-store.js";
import { openSqliteStore } from "../../store/sqlite-store.js";
import { buildGatewayApi } from "../build-gateway-api.js";

/** POST /provision/v1/boxes with inject(): what the route refuses and why. */
const stores: GatewayStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function api(pseudonymKey: Uint8Array | null) {
  const store = openSqliteStore({ path: ":memory:" });
  stores.push(store);
  await store.migrate();
  const changed: string[] = [];
  const app = await buildGatewayApi({ store, health: () => ({}), pseudonymKey, onDeviceChanged: (box) => changed.push(box) });
  return { app, store, changed };
}

const publicKey = (): string => rawPublicKey(generateBoxKeyPair().publicKey);
const body = (token: string, key = publicKey()) => ({ v: 1, token, publicKey: key, agentVersion: "test" });

describe("POST /provision/v1/boxes", () => {
  it("grants a box its identity and secrets, 201 the first time and 200 on the same key's retry, and tells ingest", async () => {
    const { app, store, changed } = await api(randomBytes(32));
    const { token } = await mintProvisioningToken(store, { box: "r-1", site: "H-R", role: "dialysis_station", location: "1", mqttUrl: "mqtts://gw:8883", replaceKey: false, createdBy: "t" });
    const key = publicKey();
    const first = await app.inject({ method: "POST", url: "/provision/v1/boxes", payload: body(token, key) });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ box: "r-1", site: "H-R", mqttUrl: "mqtts://gw:8883", templateKeyId: expect.stringMatching(/^tk-/) as string });
    const retry = await app.inject({ method: "POST", url: "/provision/v1/boxes", payload: body(token, key) });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toStrictEqual(first.json());
    expect(changed).toEqual(["r-1"]);
    await app.close();
  });

  it("refuses with a reason: no pseudonym key (503), a bad key (400), an unknown token (401), a malformed body (400)", async () => {
    const without = await api(null);
    const unavailable = await without.app.inject({ method: "POST", url: "/provision/v1/boxes", payload: body("cwp_0123456789abcdef0123") });
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.json()).toMatchObject({ reason: "provisioning_unavailable" });
    await without.app.close();

    const { app } = await api(randomBytes(32));
    const badKey = await app.inject({ method: "POST", url: "/provision/v1/boxes", payload: body("cwp_0123456789abcdef0123", Buffer.alloc(32, 0).toString("base64url")) });
    expect([400, 401]).toContain(badKey.statusCode);
    const unknown = await app.inject({ method: "POST", url: "/provision/v1/boxes", payload: body("cwp_0123456789abcdef0123") });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toMatchObject({ reason: "token_unknown", error: { code: "unauthenticated" } });
    const malformed = await app.inject({ method: "POST", url: "/provision/v1/boxes", payload: { ...body("cwp_0123456789abcdef0123"), extra: 1 } });
    expect(malformed.statusCode).toBe(400);
    await app.close();
  });
});
