import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BoxConfig } from "../firmware-config/box-config.js";
import { buildStatusHealth, healthThresholdsOf } from "../device/health/box-health.js";
import { measureClockOffset, readDiskSpace } from "../device/health/system-readings.js";
import { connectBoxSession, type BoxMqttSession } from "../device/mqtt/box-mqtt-session.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import type { Device } from "../gateway/store/gateway-store.js";
import { registrationOf, testBox } from "./fixtures/signed-events.js";

/**
 * A box's health on its retained status topic, through a real gateway: the gateway records it with
 * the box's online/offline timeline, and a dropped connection shows as `offline` by last will, a fact
 * about the box, kept apart from any check outcome such as a patient absent from bed.
 */
const box = testBox("health-chair-1", "H-HEALTH");
const config = BoxConfig.parse({
  configVersion: 1,
  box: { id: box.box, site: box.site, role: "dialysis_station", location: "1" },
  gateway: { mqttUrl: "mqtt://unused", httpUrl: "http://unused" },
  keys: { signingKeyPath: "/k/b", pseudonymKeyPath: "/k/p", pseudonymKeyId: "pk-1", templateKeyPath: "/k/t" },
  outbox: { backlogAlarm: 10 },
});
let dir: string;
let gateway: RunningGateway;
let session: BoxMqttSession;

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-box-health-"));
  gateway = await startGateway({ store: { kind: "sqlite", path: join(dir, "gateway.db") }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 0 } });
  await gateway.store.registerDevice(registrationOf(box));
});

afterAll(async () => {
  await session.close();
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("box health on the retained status topic", () => {
  it("the gateway records the box online with its health and alarms, then offline by last will when the link drops", async () => {
    const disk = await readDiskSpace(dir);
    const clockOffsetMs = await measureClockOffset(gateway.httpUrl);
    expect(clockOffsetMs).not.toBeNull();
    const health = () =>
      buildStatusHealth(
        { reader: { connected: false, samStatus: null }, camera: null, outbox: { depth: 12, oldestCreatedAt: Date.now() - 1000 }, disk, clockOffsetMs, lastEventAt: null, models: ["dlib-resnet-v1@2"], now: Date.now() },
        healthThresholdsOf(config),
      );
    session = await connectBoxSession({ url: gateway.mqttUrl, site: box.site, box: box.box, protocolVersion: 4, agentVersion: "test", health, onAck: () => undefined });

    let device: Device | undefined;
    await until(async () => {
      device = await gateway.store.getDevice(box.box);
      return device?.state === "online";
    }, "the box online at the gateway");
    const status = JSON.parse(device?.lastStatus ?? "{}") as { health?: { alarms?: string[]; reader?: string; disk?: unknown } };
    expect(status.health).toMatchObject({ reader: "down", alarms: ["outbox_backlog", "reader_down"], disk: { totalBytes: disk?.totalBytes } });

    // A lost link without DISCONNECT: the broker publishes the will (MQTT-3.1.2-8).
    session.client.stream.destroy();
    await until(async () => (await gateway.store.statusHistory(box.box, 20)).some((s) => s.reason === "last_will"), "the last will recorded");
    const history = await gateway.store.statusHistory(box.box, 20);
    expect(history.find((s) => s.reason === "last_will")).toMatchObject({ state: "offline" });
    expect(await gateway.store.countEvents({ box: box.box })).toBe(0);
  });
});
