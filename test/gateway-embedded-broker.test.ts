import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AckMessage, AlertMessage, boxTopic, PROTOCOL_VERSION, siteTopic, topicFilter, type StatusMessage } from "../protocol/index.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { payloadOf, registrationOf, signedCheckIn, testBox } from "./fixtures/signed-events.js";

/** The newcomer's default: embedded broker and SQLite, a box talking MQTT to it end to end. */
const box = testBox("emb-chair-1", "H-EMBEDDED");
let dir: string;
let gateway: RunningGateway;
let client: MqttClient;
const acks: AckMessage[] = [];
const alerts: AlertMessage[] = [];

function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = async (): Promise<void> => {
      if (await condition()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(() => void poll(), 25);
    };
    void poll();
  });
}

function status(state: "online" | "offline", reason: StatusMessage["reason"], at: Date): StatusMessage {
  return { v: PROTOCOL_VERSION, site: box.site, box: box.box, state, reason, at: at.toISOString(), agentVersion: "test", health: null };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-embedded-"));
  gateway = await startGateway({
    store: { kind: "sqlite", path: join(dir, "gateway.db") },
    mqtt: { url: null, embeddedPort: 0 },
    http: { port: 0 },
    ingest: { verifyWorkers: 1 },
  });
  await gateway.store.registerDevice(registrationOf(box));
  client = await mqtt.connectAsync(gateway.mqttUrl, {
    clientId: "emb-chair-1",
    protocolVersion: 4,
    will: { topic: boxTopic("status", box), payload: payloadOf(status("offline", "last_will", new Date())), qos: 1, retain: true },
  });
  client.on("message", (topic, payload) => {
    if (topic.endsWith("/acks")) acks.push(AckMessage.parse(JSON.parse(payload.toString())));
    else alerts.push(AlertMessage.parse(JSON.parse(payload.toString())));
  });
  await client.subscribeAsync([topicFilter("acks", box), topicFilter("alerts", { site: box.site })], { qos: 1 });
});

afterAll(async () => {
  client.end(true);
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("gateway on the embedded broker", () => {
  it("stores published events and acknowledges each on the box's ack topic", async () => {
    const events = Array.from({ length: 25 }, (_, i) => signedCheckIn(box, i + 1));
    for (const e of events) await client.publishAsync(boxTopic("events", box), payloadOf(e), { qos: 1 });
    await waitFor(() => acks.flatMap((a) => a.acks).length >= 25, "25 acks");
    const acked = acks.flatMap((a) => a.acks);
    expect(new Set(acked.map((a) => a.id))).toEqual(new Set(events.map((e) => e.id)));
    expect(acked.every((a) => a.result === "stored")).toBe(true);
    expect(await gateway.store.countEvents({ box: box.box })).toBe(25);
  });

  it("publishes an alert for a face mismatch on the institution's alert topic", async () => {
    const mismatch = signedCheckIn(box, 26, { outcome: "face_mismatch" });
    await client.publishAsync(boxTopic("events", box), payloadOf(mismatch), { qos: 1 });
    await waitFor(() => alerts.length > 0, "an alert");
    expect(alerts[0]).toMatchObject({ kind: "impersonation_suspected", site: box.site, evidence: { eventIds: [mismatch.id] } });
    expect(alerts[0]?.summary).toContain(mismatch.subject.masked ?? "?");
    expect(siteTopic("alerts", box.site)).toBe("cw/v1/H-EMBEDDED/alerts");
  });

  it("tracks online and offline from the retained status and the last will, with history", async () => {
    await client.publishAsync(boxTopic("status", box), payloadOf(status("online", "connected", new Date())), { qos: 1, retain: true });
    await waitFor(async () => (await gateway.store.getDevice(box.box))?.state === "online", "online");
    // Dropping the connection without DISCONNECT makes the broker publish the will (MQTT-3.1.2-8).
    client.stream.destroy();
    await waitFor(async () => (await gateway.store.getDevice(box.box))?.state === "offline", "offline from the last will");
    const history = await gateway.store.statusHistory(box.box, 10);
    expect(history.map((h) => `${h.state}/${h.reason}`)).toEqual(["offline/last_will", "online/connected"]);
    const api = await fetch(`${gateway.httpUrl}/health`);
    expect(((await api.json()) as { ingest: { stored: number } }).ingest.stored).toBe(26);
  });
});
