import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BEHAVIOUR } from "../firmware-config/box-settings.js";
import { agentStatusHealth } from "../device/agent/agent-health.js";
import { boxTopic, EventMessage } from "../protocol/index.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { cuttableLink, type CuttableLink } from "./fixtures/cuttable-link.js";
import { cardAt, FACES_DIR, prepareBox, startInProcessAgent, until, type InProcessAgent } from "./fixtures/agent-rig.js";

/**
 * A long broker outage seen from the box (its link to the broker cut, the gateway running on):
 * checks go on and are confirmed from the outbox, health raises the backlog alarm, and after the
 * link returns the backlog drains in sequence order, behind live events, with nothing lost or stored
 * twice.
 */
const BACKLOG = 24;
let dir: string;
let gateway: RunningGateway;
let link: CuttableLink;
let rig: InProcessAgent | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-agent-outage-"));
  gateway = await startGateway({ store: { kind: "sqlite", path: join(dir, "gateway.db") }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 0 } });
  const { hostname, port } = new URL(gateway.mqttUrl);
  link = await cuttableLink({ host: hostname, port: Number(port) });
});

afterAll(async () => {
  await rig?.agent.stop();
  await link.close();
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("broker outage", () => {
  it("keeps checking offline, alarms on the backlog, then drains it in order behind live events, exactly once", { timeout: 120_000 }, async () => {
    const box = await prepareBox(join(dir, "box"), gateway.store, {
      box: "outage-chair-1",
      site: "H-OUTAGE",
      mqttUrl: link.url,
      camera: { kind: "directory", path: join(FACES_DIR, "Andre_Agassi"), fps: 30 },
      behaviour: { ...DEFAULT_BEHAVIOUR, repeatTapWindowS: 0 },
      // Events older than 1 s are backlog, drained at 10 a second.
      outbox: { liveWindowMs: 1000, backlogPerSecond: 10, resendAfterMs: 5000, backlogAlarm: 10 },
    });
    const observer = await mqtt.connectAsync(gateway.mqttUrl, { protocolVersion: 4 });
    const arrivals: number[] = [];
    observer.on("message", (_topic, payload) => arrivals.push(EventMessage.parse(JSON.parse(payload.toString())).seq));
    await observer.subscribeAsync(boxTopic("events", { site: "H-OUTAGE", box: "outage-chair-1" }), { qos: 1 });

    rig = await startInProcessAgent(box);
    const agent = rig.agent;
    await until(() => agent.health().mqttConnected, "connected");
    await link.cut();
    await until(() => !agent.health().mqttConnected, "disconnected");
    for (let i = 0; i < BACKLOG; i++) await rig.tap(cardAt(box, i % 5));
    expect(rig.log.filter((e) => e.event === "done_shown")).toHaveLength(BACKLOG);
    expect(agent.health().outbox.depth).toBe(BACKLOG);
    expect(agentStatusHealth(agent.health(), box.config).alarms).toContain("outbox_backlog");
    expect(await gateway.store.countEvents({ box: "outage-chair-1" })).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // all of it is now backlog

    await link.restore();
    await until(() => agent.health().mqttConnected, "reconnected", 15_000);
    // A patient checking in while the backlog drains: the live event goes ahead of it.
    await rig.tap(cardAt(box, 5));
    const liveSeq = BACKLOG + 1;
    await until(async () => (await gateway.store.countEvents({ box: "outage-chair-1" })) === BACKLOG + 1 && agent.health().outbox.depth === 0, "drained", 60_000);

    const firstArrivals = arrivals.filter((seq, i) => arrivals.indexOf(seq) === i);
    const backlogOrder = firstArrivals.filter((seq) => seq !== liveSeq);
    expect(backlogOrder).toEqual(Array.from({ length: BACKLOG }, (_, i) => i + 1));
    expect(firstArrivals.indexOf(liveSeq)).toBeLessThan(BACKLOG); // overtook part of the backlog
    expect(await gateway.store.sequenceStats("outage-chair-1")).toMatchObject({ stored: BACKLOG + 1, maxSeq: BACKLOG + 1, missing: 0 });
    expect((await gateway.store.queryQuarantine({ box: "outage-chair-1" }, { limit: 10 })).items).toEqual([]);
    expect(agentStatusHealth(agent.health(), box.config).alarms).not.toContain("outbox_backlog");
    await observer.endAsync();
  });

  it("survives the broker itself stopping and restarting (gateway and embedded broker down, session state lost): re-sent events are stored once", { timeout: 120_000 }, async () => {
    const store = join(dir, "restart-gateway.db");
    const first = await startGateway({ store: { kind: "sqlite", path: store }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 0 } });
    const port = Number(new URL(first.mqttUrl).port);
    const box = await prepareBox(join(dir, "restart-box"), first.store, {
      box: "restart-chair-1",
      site: "H-OUTAGE",
      mqttUrl: first.mqttUrl,
      camera: { kind: "directory", path: join(FACES_DIR, "Andre_Agassi"), fps: 30 },
      behaviour: { ...DEFAULT_BEHAVIOUR, repeatTapWindowS: 0 },
      outbox: { liveWindowMs: 1000, backlogPerSecond: 20, resendAfterMs: 2000 },
    });
    const restartRig = await startInProcessAgent(box);
    try {
      await until(() => restartRig.agent.health().mqttConnected, "connected");
      for (let i = 0; i < 4; i++) await restartRig.tap(cardAt(box, i));
      await until(async () => (await first.store.countEvents({ box: "restart-chair-1" })) === 4 && restartRig.agent.health().outbox.depth === 0, "first four stored");
      await first.close();
      await until(() => !restartRig.agent.health().mqttConnected, "disconnected");
      for (let i = 0; i < 8; i++) await restartRig.tap(cardAt(box, i % 5));
      const second = await startGateway({ store: { kind: "sqlite", path: store }, mqtt: { url: null, embeddedPort: port }, http: { port: 0 }, ingest: { verifyWorkers: 0 } });
      try {
        await until(async () => (await second.store.countEvents({ box: "restart-chair-1" })) === 12 && restartRig.agent.health().outbox.depth === 0, "all twelve stored", 60_000);
        expect(await second.store.sequenceStats("restart-chair-1")).toMatchObject({ stored: 12, maxSeq: 12, missing: 0 });
        expect((await second.store.queryQuarantine({ box: "restart-chair-1" }, { limit: 10 })).items).toEqual([]);
      } finally {
        await restartRig.agent.stop();
        await second.close();
      }
    } finally {
      await restartRig.agent.stop();
    }
  });
});
