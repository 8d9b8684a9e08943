import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openGatewayStore } from "../gateway/open-store.js";
import { runFleetSimulation } from "../simulator/fleet/fleet-simulation.js";
import { faultFleet, storedCount, until } from "./fixtures/fault-fleet.js";
import { spawnGateway, type GatewayProcess } from "./fixtures/gateway-process.js";

/**
 * Gateway killed with SIGKILL while the simulator publishes to Mosquitto (paced at 300 events/s, so
 * the ~8 s stream cannot finish between two polls of a busy machine and the kill lands mid-stream), then
 * restarted: every event lands exactly once. The broker queues what arrives while the gateway is down
 * (persistent session); what the dead gateway had taken but not stored is re-sent by the simulated
 * outboxes, which keep every event until the gateway's ack.
 */
const MQTT_URL = process.env.CAREWITNESS_TEST_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const dir = mkdtempSync(join(tmpdir(), "cw-sigkill-"));
const running: GatewayProcess[] = [];

afterAll(async () => {
  for (const g of running) await g.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("gateway killed mid-stream", () => {
  it("every event the simulator published lands exactly once after a SIGKILL and restart", { timeout: 240_000 }, async () => {
    const db = join(dir, "gateway.db");
    const fleet = faultFleet({ label: "kill", seed: "sigkill", sites: 4, days: 5, badShare: 0, mqttUrl: MQTT_URL, protocolVersion: 5, resendAfterMs: 3000, deadlineMs: 240_000, rate: 300 });
    const setup = await openGatewayStore({ kind: "sqlite", path: db });
    await fleet.register(setup);
    await setup.close();

    const gatewayId = `kill-${process.pid}-${Date.now()}`;
    const args = ["--mqtt-url", MQTT_URL, "--sqlite", db, "--http-port", "0", "--gateway-id", gatewayId, "--share-group", "none", "--session-expiry", "600"];
    let gateway = await spawnGateway(args);
    running.push(gateway);

    // The kill is timed by the acks the simulated boxes received (MQTT, in this process), not by the
    // gateway's HTTP health, which a busy gateway on a loaded machine answers late.
    let acked = 0;
    const simulation = runFleetSimulation({ ...fleet.options, progressIntervalMs: 50 }, (progress) => (acked = progress.acked));
    await until(() => Promise.resolve(acked >= fleet.validIds.length * 0.3), "30% of events acknowledged before the kill", 120_000, 10);
    await gateway.kill("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    gateway = await spawnGateway(args);
    running.push(gateway);

    const summary = await simulation;
    expect(summary.unacked).toEqual([]);
    // The kill really came mid-stream: the restarted gateway stored events of its own.
    expect(await storedCount(gateway.http)).toBeGreaterThan(0);
    await gateway.kill("SIGTERM");

    const store = await openGatewayStore({ kind: "sqlite", path: db });
    try {
      let total = 0;
      for (const site of fleet.sites) total += await store.countEvents({ site });
      expect(total).toBe(fleet.validIds.length);
      for (const id of fleet.validIds) expect((await store.getEvent(id))?.id, id).toBe(id);
      // Re-deliveries were duplicates, never conflicts: nothing of this fleet is quarantined.
      for (const site of fleet.sites) expect(await store.countQuarantine({ site })).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
