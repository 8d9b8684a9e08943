import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../gateway/gateway-service.js";
import { startProvisioningGateway } from "../../test/fixtures/provisioning-gateway.js";
import { runCarewitness } from "../cli-process.js";

/** `carewitness tokens provision` then `carewitness device provision`, as an administrator and a technician run them. */
let dir: string;
let gateway: RunningGateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-cli-provision-"));
  gateway = await startProvisioningGateway(dir, randomBytes(32));
});

afterAll(async () => {
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("carewitness device provision", () => {
  it("provisions a box with a minted token once, and refuses the same token to a second box with its reason", async () => {
    const minted = await runCarewitness(["tokens", "provision", "--site", "H-CLI-PROV", "--role", "ward_round", "--ward", "5B", "--mqtt-url", gateway.mqttUrl, "--sqlite", join(dir, "gateway.db"), "--json"]);
    expect(minted.code, minted.stderr).toBe(0);
    const { token, box } = JSON.parse(minted.stdout) as { token: string; box: string };
    expect(box).toMatch(/^H-CLI-PROV-5B-[0-9a-f]{6}$/);

    const boxDir = join(dir, "box");
    const provisioned = await runCarewitness(["device", "provision", "--gateway", gateway.httpUrl, "--token", token, "--dir", boxDir, "--json"]);
    expect(provisioned.code, provisioned.stderr).toBe(0);
    expect(JSON.parse(provisioned.stdout)).toMatchObject({ box, site: "H-CLI-PROV", role: "ward_round", location: "5B", keyCreated: true });
    expect(statSync(join(boxDir, "box.key")).mode & 0o777).toBe(0o600);
    expect((await gateway.store.getDevice(box))?.site).toBe("H-CLI-PROV");

    const second = await runCarewitness(["device", "provision", "--gateway", gateway.httpUrl, "--token", token, "--dir", join(dir, "other")]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("token_used");
    // Three CLI processes on a shared, busy machine.
  }, 90_000);

  it("refuses a station for a ward-round box", async () => {
    const minted = await runCarewitness(["tokens", "provision", "--site", "H-CLI-PROV", "--role", "ward_round", "--station", "3", "--mqtt-url", "mqtt://x", "--sqlite", join(dir, "gateway.db")]);
    expect(minted.code).toBe(1);
    expect(minted.stderr).toContain("--ward");
  }, 30_000);
});
