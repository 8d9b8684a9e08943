import { createHash } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { boxTopic, decodeMessage, parseTopic, topicFilter, type AckMessage } from "../../protocol/index.js";
import { planFleet } from "./fleet-plan.js";
import { runFleetSimulation, type SimulationProgress } from "./fleet-simulation.js";
import { SimulationOptions } from "./simulation-options.js";
import { planTraffic } from "./traffic-plan.js";

/**
 * The publisher's outbox against the real Mosquitto: a fake gateway (one plain MQTT client) stores
 * every event it can decode and acks it with the payload's SHA-256 — except that for some ids it loses
 * the first ack, and for others its first ack carries another payload's hash. The simulator must
 * re-publish exactly those and end with every valid event acked.
 */
const MQTT_URL = process.env.CAREWITNESS_TEST_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const RUN = `T${Date.now().toString(36)}${process.pid.toString(36)}`;
const clients: MqttClient[] = [];

async function connectClient(clientId: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(MQTT_URL, { clientId, clean: true, protocolVersion: 5, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
});

const sha256 = (payload: Uint8Array): string => createHash("sha256").update(payload).digest("hex");
/** Deterministic choice of the ids whose first ack goes wrong: by the id's own hash. */
const fault = (id: string): "drop" | "forge" | null => {
  const n = Number.parseInt(sha256(Buffer.from(id)).slice(0, 2), 16) % 5;
  return n === 0 ? "drop" : n === 1 ? "forge" : null;
};

describe("runFleetSimulation against Mosquitto", () => {
  it("re-publishes events whose first ack was lost or named another payload, and finishes with all acked", async () => {
    const options = SimulationOptions.parse({
      seed: "outbox-integration",
      siteIdPrefix: RUN,
      sites: 1,
      stationsPerSite: 2,
      wardsPerSite: 1,
      bedsPerWard: 12,
      days: 2,
      // A fixed period (a Monday and Tuesday), so the plan's size does not depend on the day the test
      // runs: a Sunday has no dialysis and a small plan may pick too few faulty acks. The fake gateway
      // below applies no clock rules, so the period need not be recent.
      endAt: "2026-11-24T23:00:00+08:00",
      badShare: 0.1,
      register: false,
      mqttUrl: MQTT_URL,
      protocolVersion: 5,
      connectionsPerSite: 2,
      sessionExpirySeconds: 30,
      resendAfterMs: 500,
      deadlineMs: 25_000,
      defectAckWaitMs: 1000,
      clearRetainedStatus: true,
      progressIntervalMs: 200,
    });
    const fleet = planFleet(options);
    const plan = planTraffic(fleet, options);
    const site = fleet.sites[0]?.site ?? "";
    const validIds = plan.flatMap((m) => (m.truth.type === "valid" ? [m.truth.id] : []));
    const faulty = validIds.filter((id) => fault(id) !== null);
    expect(faulty.length).toBeGreaterThan(3);

    // The fake gateway: stores by payload hash, acks on the box's acks topic.
    const gateway = await connectClient(`${RUN}-fake-gateway`);
    const deliveries = new Map<string, number>();
    const firstSeqs = new Map<string, number[]>();
    const stored = new Set<string>();
    const online = new Set<string>();
    gateway.on("message", (topic, payload) => {
      const address = parseTopic(topic);
      if (address?.kind === "status") {
        if (payload.length > 0 && (JSON.parse(payload.toString()) as { state: string }).state === "online") online.add(address.box);
        return;
      }
      if (address?.kind !== "events") return;
      const decoded = decodeMessage("events", payload);
      if (!decoded.ok) return; // broken beyond an id: nothing to ack
      const event = decoded.message;
      const hash = sha256(payload);
      const times = (deliveries.get(event.id) ?? 0) + 1;
      deliveries.set(event.id, times);
      if (times === 1) firstSeqs.set(event.box, [...(firstSeqs.get(event.box) ?? []), event.seq]);
      const result = stored.has(hash) ? "duplicate" : "stored";
      stored.add(hash);
      const kind = times === 1 ? fault(event.id) : null;
      if (kind === "drop") return;
      const ack: AckMessage = {
        v: 1,
        box: event.box,
        at: new Date().toISOString(),
        acks: [{ id: event.id, seq: event.seq, payloadSha256: kind === "forge" ? sha256(Buffer.from(hash)) : hash, result, reason: null }],
      };
      gateway.publish(boxTopic("acks", { site, box: event.box }), JSON.stringify(ack), { qos: 1 });
    });
    await gateway.subscribeAsync({ [topicFilter("events", { site })]: { qos: 1 }, [topicFilter("status", { site })]: { qos: 1 } });

    const progress: SimulationProgress[] = [];
    const summary = await runFleetSimulation(options, (p) => progress.push(p));

    expect(summary.stoppedBy).toBe("complete");
    expect(summary.unacked).toEqual([]);
    expect(summary.planned.valid).toBe(validIds.length);
    expect(summary.connections).toBe(2);
    for (const id of validIds) expect(deliveries.get(id) ?? 0, id).toBeGreaterThanOrEqual(fault(id) === null ? 1 : 2);
    expect(summary.published.republications).toBeGreaterThanOrEqual(faulty.length);
    expect(summary.acks.wrongHash).toBeGreaterThanOrEqual(validIds.filter((id) => fault(id) === "forge").length);
    expect(summary.acks.valid.stored + summary.acks.valid.duplicate).toBe(validIds.length);
    expect(summary.acks.valid.duplicate).toBeGreaterThanOrEqual(validIds.filter((id) => fault(id) === "drop").length);
    // Every hostile message went out once its source was acked; the fake acked the decodable ones.
    expect(summary.published.defectsSent).toBe(summary.planned.defects);
    expect(summary.published.defectsHeld).toBe(0);
    // Each box's events first arrived in seq order (one connection per box, QoS 1 keeps order).
    for (const [box, seqs] of firstSeqs) {
      const own = seqs.filter((seq) => seq < 1_000_000_000);
      expect(own, box).toEqual([...own].sort((a, b) => a - b));
    }
    expect(online).toEqual(new Set(fleet.boxes.map((b) => b.box)));
    expect(progress.at(-1)?.phase).toBe("done");
    expect(progress.some((p) => p.phase === "publishing")).toBe(true);

    // Nothing retained is left behind on the shared broker.
    const checker = await connectClient(`${RUN}-checker`);
    const retained: string[] = [];
    checker.on("message", (topic, payload, packet) => {
      if (packet.retain && payload.length > 0) retained.push(topic);
    });
    await checker.subscribeAsync(topicFilter("status", { site }), { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(retained).toEqual([]);
  });
});
