import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openGatewayStore } from "../gateway/open-store.js";
import { runFleetSimulation } from "../simulator/fleet/fleet-simulation.js";
import { faultFleet, storedCount, until } from "./fixtures/fault-fleet.js";
import { spawnGateway, type GatewayProcess } from "./fixtures/gateway-process.js";

/**
 * Two gateways in one MQTT v5 shared-subscription group on Mosquitto, sharing PostgreSQL: the stream
 * is split between them, each event is stored once, and when one is stopped mid-stream the other
 * carries on with no loss.
 */
const MQTT_URL = process.env.CAREWITNESS_TEST_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const PG_URL = process.env.CAREWITNESS_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `cw_share_${process.pid}_${Date.now()}`;
const running: GatewayProcess[] = [];

afterAll(async () => {
  for (const g of running) await g.kill("SIGKILL");
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

describe("two gateways in one shared-subscription group", () => {
  it("split the stream, store each event once, and one carries on when the other is killed", { timeout: 240_000 }, async () => {
    const fleet = faultFleet({ label: "share", seed: "shared", sites: 4, days: 5, badShare: 0, mqttUrl: MQTT_URL, protocolVersion: 5, resendAfterMs: 2000, deadlineMs: 240_000 });
    const setup = await openGatewayStore({ kind: "postgres", url: PG_URL, schema });
    await fleet.register(setup);
    await setup.close();

    const group = `share-${process.pid}-${Date.now()}`;
    const gatewayArgs = (id: string): string[] => [
      "--mqtt-url", MQTT_URL, "--pg", PG_URL, "--pg-schema", schema, "--http-port", "0",
      "--gateway-id", id, "--share-group", group, "--session-expiry", "60",
    ];
    const [one, two] = await Promise.all([spawnGateway(gatewayArgs(`${group}-1`)), spawnGateway(gatewayArgs(`${group}-2`))]);
    running.push(one, two);

    const simulation = runFleetSimulation(fleet.options, () => undefined);
    await until(async () => (await storedCount(one.http)) + (await storedCount(two.http)) >= fleet.validIds.length * 0.3, "30% stored");
    const storedByOneBeforeKill = await storedCount(one.http);
    await one.kill("SIGKILL");

    const summary = await simulation;
    expect(summary.unacked).toEqual([]);
    await two.kill("SIGTERM");

    const store = await openGatewayStore({ kind: "postgres", url: PG_URL, schema });
    try {
      let total = 0;
      for (const site of fleet.sites) total += await store.countEvents({ site });
      expect(total).toBe(fleet.validIds.length);
      for (const id of fleet.validIds) expect((await store.getEvent(id))?.id, id).toBe(id);
      // Both members took part before the kill: the group really split the stream.
      expect(storedByOneBeforeKill).toBeGreaterThan(0);
      const byGateway = new Map<string, number>();
      for (const id of fleet.validIds) {
        const gw = (await store.getEvent(id))?.gatewayId ?? "?";
        byGateway.set(gw, (byGateway.get(gw) ?? 0) + 1);
      }
      expect(byGateway.get(`${group}-1`)).toBeGreaterThan(0);
      expect(byGateway.get(`${group}-2`)).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
