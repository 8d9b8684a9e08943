import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertMessage, alertId, boxTopic, topicFilter } from "../protocol/index.js";
import { verifyEvidenceBundle } from "../gateway/alerts/evidence-bundle.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { newApiToken } from "../gateway/http/api-auth.js";
import { payloadOf, registrationOf, signedCheckIn, testBox } from "./fixtures/signed-events.js";

/**
 * The alert back end in a running gateway (embedded broker, SQLite): a face-mismatch check-in
 * published by a box reaches a supervisor's event stream and the MQTT alert topic, and its evidence
 * bundle verifies under the key the gateway keeps across restarts.
 */
const box = testBox("alert-e2e-chair-1", "H-ALERT-E2E");
const BILLED = "H50010600123";
const GOLDEN = readFileSync(new URL("../gateway/billing/test-fixtures/golden-example.csv", import.meta.url));
let dir: string;
let gateway: RunningGateway;
let client: MqttClient;
let token: string;
const published: AlertMessage[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-alert-e2e-"));
  process.env.CAREWITNESS_EVIDENCE_KEY_FILE = join(dir, "evidence-key.pem");
  gateway = await startGateway({
    store: { kind: "sqlite", path: join(dir, "gateway.db") },
    mqtt: { url: null, embeddedPort: 0 },
    http: { port: 0 },
    ingest: { verifyWorkers: 0 },
    pseudonymKey: "ab".repeat(32),
  });
  await gateway.store.registerDevice(registrationOf(box));
  const minted = newApiToken();
  await gateway.store.createApiToken({ name: "insurer", role: "admin", site: null, tokenHash: minted.tokenHash, createdAt: Date.now() });
  token = minted.token;
  client = await mqtt.connectAsync(gateway.mqttUrl, { clientId: "alert-e2e-supervisor-system", protocolVersion: 4 });
  client.on("message", (_topic, payload) => published.push(AlertMessage.parse(JSON.parse(payload.toString()))));
  await client.subscribeAsync([topicFilter("alerts", { site: box.site }), topicFilter("alerts", { site: BILLED })], { qos: 1 });
});

afterAll(async () => {
  client.end(true);
  await gateway.close();
  delete process.env.CAREWITNESS_EVIDENCE_KEY_FILE;
  rmSync(dir, { recursive: true, force: true });
});

describe("alert back end in a running gateway", () => {
  it("a mismatch check-in published by a box arrives on the event stream and the alert topic, with a verifiable evidence bundle", async () => {
    const controller = new AbortController();
    const stream = await fetch(`${gateway.httpUrl}/api/v1/alerts/stream`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body?.pipeThrough(new TextDecoderStream()).getReader();

    const mismatch = signedCheckIn(box, 1, { outcome: "face_mismatch" });
    await client.publishAsync(boxTopic("events", box), payloadOf(mismatch), { qos: 1 });
    const id = alertId("impersonation_suspected", [mismatch.id]);
    let text = "";
    while (!text.includes(`"id":"${id}"`)) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) throw new Error("stream ended");
      text += chunk.value;
    }
    controller.abort();
    expect(text).toMatch(/event: alert\ndata: \{.*"state":"open"/);
    await expect.poll(() => published.map((a) => a.id)).toContain(id);

    const evidence = await fetch(`${gateway.httpUrl}/api/v1/alerts/${id}/evidence`, { headers: { authorization: `Bearer ${token}` } });
    const file: unknown = await evidence.json();
    const key = ((await (await fetch(`${gateway.httpUrl}/api/v1/evidence-key`, { headers: { authorization: `Bearer ${token}` } })).json()) as { publicKey: string }).publicKey;
    expect(verifyEvidenceBundle(file, key)).toEqual({ ok: true });
    expect(gateway.alerts.desk.evidenceKey.publicKey).toBe(key);
  });

  it("billing imported through the API is reconciled at once: its D1 alerts are published on the alert topic and listed", async () => {
    const imported = await fetch(`${gateway.httpUrl}/api/v1/billing`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" }, body: GOLDEN });
    expect(imported.status).toBe(200);
    await expect.poll(() => published.filter((a) => a.site === BILLED).map((a) => a.rule), { timeout: 10_000 }).toEqual(["D1", "D1"]);
    const d1 = published.find((a) => a.rule === "D1");
    expect(d1?.evidence.billingLineIds).toHaveLength(1);
    expect(d1?.explanation?.zh).toContain("没有该患者在本机构的核验签到");
    const listed = (await (await fetch(`${gateway.httpUrl}/api/v1/alerts?rule=D1`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { state: string }[] };
    expect(listed.items.map((a) => a.state)).toEqual(["open", "open"]);
  });
});
