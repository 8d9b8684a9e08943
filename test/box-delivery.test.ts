import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boxTopic } from "../protocol/index.js";
import { connectBoxSession, type BoxMqttSession } from "../device/mqtt/box-mqtt-session.js";
import { EventOutbox } from "../device/outbox/event-outbox.js";
import { OutboxDelivery } from "../device/outbox/outbox-delivery.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { payloadOf, registrationOf, signedCheckIn, testBox } from "./fixtures/signed-events.js";

/** A box's outbox and MQTT session against a real gateway: events leave the outbox only on the gateway's ack. */
const box = testBox("deliv-chair-1", "H-DELIVERY");
let dir: string;
let gateway: RunningGateway;
let outbox: EventOutbox;
let session: BoxMqttSession;
let delivery: OutboxDelivery;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-box-delivery-"));
  gateway = await startGateway({ store: { kind: "sqlite", path: join(dir, "gateway.db") }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 1 } });
  await gateway.store.registerDevice(registrationOf(box));
  outbox = new EventOutbox(join(dir, "outbox.db"));
  session = await connectBoxSession({
    url: gateway.mqttUrl,
    site: box.site,
    box: box.box,
    protocolVersion: 4,
    agentVersion: "test",
    health: () => ({ reader: "ok", camera: "ok", outboxDepth: outbox.stats().depth, oldestPendingAt: null }),
    onAck: (payload) => delivery.onAckMessage(payload),
  });
  delivery = new OutboxDelivery(outbox, session);
});

afterAll(async () => {
  await session.close();
  outbox.close();
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("box delivery against the gateway", () => {
  it("empties the outbox once the gateway has stored every event, and the box shows online", async () => {
    for (let i = 0; i < 40; i++) {
      outbox.enqueue((seq) => {
        const event = signedCheckIn(box, seq);
        return { id: event.id, topic: boxTopic("events", box), payload: payloadOf(event) };
      });
    }
    const deadline = Date.now() + 15_000;
    while (outbox.stats().depth > 0 && Date.now() < deadline) {
      await delivery.tick();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(outbox.stats().depth).toBe(0);
    expect(await gateway.store.countEvents({ box: box.box })).toBe(40);
    expect(await gateway.store.sequenceStats(box.box)).toMatchObject({ stored: 40, maxSeq: 40, missing: 0 });
    expect(delivery.stats().acks.deleted).toBe(40);
    expect((await gateway.store.getDevice(box.box))?.state).toBe("online");
  });
});
