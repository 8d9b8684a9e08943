import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { boxTopic, PROTOCOL_VERSION, type AckMessage } from "../../protocol/index.js";
import { payloadOf, signedCheckIn, testBox } from "../../test/fixtures/signed-events.js";
import type { EventPublisher } from "../ports.js";
import { EventOutbox, type OutboxEvent } from "./event-outbox.js";
import { OutboxDelivery } from "./outbox-delivery.js";

const dir = mkdtempSync(join(tmpdir(), "cw-delivery-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const box = testBox("delivery-box");
const topic = boxTopic("events", box);

function enqueue(outbox: EventOutbox, at: number): OutboxEvent {
  return outbox.enqueue((seq) => {
    const event = signedCheckIn(box, seq, { at: new Date(at) });
    return { id: event.id, topic, payload: payloadOf(event) };
  }, at);
}

class RecordingPublisher implements EventPublisher {
  readonly sent: Buffer[] = [];
  online = true;
  publish(_topic: string, payload: Buffer): Promise<void> {
    if (!this.online) return Promise.reject(new Error("offline"));
    this.sent.push(payload);
    return Promise.resolve();
  }
}

function ackFor(events: readonly OutboxEvent[]): Buffer {
  const ack: AckMessage = {
    v: PROTOCOL_VERSION,
    box: box.box,
    at: new Date().toISOString(),
    acks: events.map((e) => ({ id: e.id, seq: e.seq, payloadSha256: e.payloadSha256, result: "stored", reason: null })),
  };
  return Buffer.from(JSON.stringify(ack));
}

describe("outbox delivery", () => {
  it("lets a live event overtake a long backlog, which drains in order at its rate", async () => {
    let now = 10_000_000;
    const outbox = new EventOutbox(join(dir, "overtake.db"));
    const backlog = Array.from({ length: 100 }, (_, i) => enqueue(outbox, now - 3_600_000 + i));
    const publisher = new RecordingPublisher();
    const delivery = new OutboxDelivery(outbox, publisher, { liveWindowMs: 60_000, backlogPerSecond: 10, resendAfterMs: 60_000, maxPerTick: 50 }, { now: () => now });
    await delivery.tick();
    const live = enqueue(outbox, now);
    now += 1000;
    const report = await delivery.tick();
    expect(report).toEqual({ live: 1, backlog: 10, failed: 0 });
    // Of everything sent so far, the live event went out before the backlog's 11th event.
    const sentIds = publisher.sent.map((p) => (JSON.parse(p.toString()) as { id: string }).id);
    expect(sentIds.indexOf(live.id)).toBeLessThan(sentIds.indexOf(backlog[19]?.id ?? ""));
    expect(sentIds.filter((id) => id !== live.id)).toEqual(backlog.slice(0, sentIds.length - 1).map((e) => e.id));
    outbox.close();
  });

  it("re-sends what was not acknowledged and deletes only what the gateway acked", async () => {
    let now = 5_000_000;
    const outbox = new EventOutbox(join(dir, "resend.db"));
    const events = [enqueue(outbox, now), enqueue(outbox, now), enqueue(outbox, now)];
    const publisher = new RecordingPublisher();
    const delivery = new OutboxDelivery(outbox, publisher, { liveWindowMs: 60_000, backlogPerSecond: 100, resendAfterMs: 5000, maxPerTick: 50 }, { now: () => now });
    await delivery.tick();
    expect(publisher.sent).toHaveLength(3);
    delivery.onAckMessage(ackFor(events.slice(0, 2)));
    delivery.onAckMessage(Buffer.from("{broken"));
    now += 6000;
    await delivery.tick();
    expect(publisher.sent).toHaveLength(4);
    expect(publisher.sent[3]?.equals(events[2]?.payload ?? Buffer.alloc(0))).toBe(true);
    expect(delivery.stats()).toEqual({ acks: { deleted: 2, hash_mismatch: 0, unknown: 0 }, invalidAcks: 1 });
    expect(outbox.stats().depth).toBe(1);
    outbox.close();
  });

  it("keeps events that could not be published and sends them when the broker is back", async () => {
    let now = 7_000_000;
    const outbox = new EventOutbox(join(dir, "offline.db"));
    enqueue(outbox, now);
    const publisher = new RecordingPublisher();
    publisher.online = false;
    const delivery = new OutboxDelivery(outbox, publisher, { liveWindowMs: 60_000, backlogPerSecond: 100, resendAfterMs: 30_000, maxPerTick: 50 }, { now: () => now });
    expect((await delivery.tick()).failed).toBe(1);
    publisher.online = true;
    now += 100;
    await delivery.tick();
    expect(publisher.sent).toHaveLength(1);
    outbox.close();
  });
});
