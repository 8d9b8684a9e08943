import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { boxTopic, signEvent, type AckEntry, type AckMessage, type QuarantineReason } from "../../protocol/index.js";
import { payloadOf, registrationOf, signedCheckIn, testBox, unsignedCheckIn } from "../../test/fixtures/signed-events.js";
import type { AlertRecord, GatewayStore } from "../store/gateway-store.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { createDeviceDirectory } from "./device-directory.js";
import { createIngestPipeline, type IngestPipeline } from "./ingest-pipeline.js";
import { createVerifierPool, type VerifierPool } from "./verifier-pool.js";

const LIMITS = { maxBatch: 50, highWater: 1000, maxClockSkewMs: 600_000, maxEventAgeMs: 30 * 86_400_000, quarantinePayloadCapBytes: 4096 };
const boxA = testBox("box-a");
const boxB = testBox("box-b");
const disabled = testBox("box-off");
const stranger = testBox("box-unregistered");
const topicA = boxTopic("events", boxA);

interface Harness {
  store: GatewayStore;
  pipeline: IngestPipeline;
  verifier: VerifierPool;
  acks: AckEntry[];
  alerts: AlertRecord[];
  send(topic: string, payload: Buffer): Promise<void>;
}

async function harness(workers: number): Promise<Harness> {
  const store = openSqliteStore({ path: ":memory:" });
  await store.migrate();
  for (const box of [boxA, boxB, disabled]) await store.registerDevice(registrationOf(box));
  await store.setDeviceEnabled(disabled.box, false);
  const acks: AckEntry[] = [];
  const alerts: AlertRecord[] = [];
  const verifier = createVerifierPool(workers);
  const pipeline = createIngestPipeline({
    store,
    directory: createDeviceDirectory(store),
    verifier,
    gatewayId: "test-gw",
    limits: LIMITS,
    output: {
      publishAck: (_site, _box, ack: AckMessage) => acks.push(...ack.acks),
      publishAlert: (alert) => {
        alerts.push(alert);
        return Promise.resolve();
      },
    },
  });
  return { store, pipeline, verifier, acks, alerts, send: (topic, payload) => pipeline.accept(topic, payload) };
}

describe("ingest pipeline", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness(0);
  });
  afterEach(async () => {
    await h.pipeline.close();
    await h.verifier.close();
    await h.store.close();
  });

  it("stores a valid event and acknowledges it with the payload's hash only after storing", async () => {
    const event = signedCheckIn(boxA, 1);
    await h.send(topicA, payloadOf(event));
    await h.pipeline.drained();
    expect(h.acks).toEqual([expect.objectContaining({ id: event.id, seq: 1, result: "stored", reason: null })]);
    expect(h.acks[0]?.payloadSha256).toMatch(/^[0-9a-f]{64}$/);
    const stored = await h.store.getEvent(event.id);
    expect(stored?.box).toBe("box-a");
    expect(JSON.parse(stored?.body ?? "null")).toEqual(event);
  });

  it("stores a re-delivered event once and acknowledges the copy as a duplicate", async () => {
    const event = signedCheckIn(boxA, 1);
    await h.send(topicA, payloadOf(event));
    await h.send(topicA, payloadOf(event));
    await h.pipeline.drained();
    await h.send(topicA, payloadOf(event));
    await h.pipeline.drained();
    expect(h.acks.map((a) => a.result)).toEqual(["stored", "duplicate", "duplicate"]);
    expect(await h.store.countEvents({ box: "box-a" })).toBe(1);
  });

  it("raises an impersonation alert once however often the mismatch event arrives", async () => {
    const event = signedCheckIn(boxA, 1, { outcome: "face_mismatch" });
    for (let i = 0; i < 3; i++) await h.send(topicA, payloadOf(event));
    await h.pipeline.drained();
    await h.send(topicA, payloadOf(event));
    await h.pipeline.drained();
    expect(h.alerts.map((a) => a.kind)).toEqual(["impersonation_suspected"]);
    const page = await h.store.queryAlerts({}, { limit: 10 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.publishedAt).not.toBeNull();
  });

  it("quarantines each hostile or malformed message with its specific reason while the valid events between them land exactly once", async () => {
    const valid = Array.from({ length: 40 }, (_, i) => signedCheckIn(i % 2 === 0 ? boxA : boxB, Math.floor(i / 2) + 1));
    const firstA = valid[0];
    if (firstA === undefined) throw new Error("no events");
    const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
    const raw = JSON.parse(JSON.stringify(firstA)) as Record<string, unknown>;
    const mutate = (change: (e: Record<string, unknown>) => void): Buffer => {
      const copy = structuredClone(raw);
      change(copy);
      return json(copy);
    };
    const future = new Date(Date.now() + 86_400_000);
    const old = new Date(Date.now() - 40 * 86_400_000);
    const hostile: [string, string, Buffer, QuarantineReason][] = [
      ["truncated JSON", topicA, payloadOf(firstA).subarray(0, 100), "invalid_json"],
      ["empty payload", topicA, Buffer.alloc(0), "invalid_json"],
      ["not UTF-8", topicA, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), "invalid_utf8"],
      ["a JSON array", topicA, json([1, 2]), "not_an_object"],
      ["a JSON string", topicA, json("event"), "not_an_object"],
      ["no version", topicA, mutate((e) => delete e.v), "missing_version"],
      ["version as a string", topicA, mutate((e) => (e.v = "1")), "missing_version"],
      ["unknown version", topicA, mutate((e) => (e.v = 2)), "unsupported_version"],
      ["unknown top-level field", topicA, mutate((e) => (e.extra = true)), "unknown_field"],
      ["unknown nested field", topicA, mutate((e) => ((e.verification as Record<string, unknown>).note = "x")), "unknown_field"],
      ["sequence number as a string", topicA, mutate((e) => (e.seq = "7")), "schema_invalid"],
      ["sequence number zero", topicA, mutate((e) => (e.seq = 0)), "schema_invalid"],
      ["id that is not a UUIDv7", topicA, mutate((e) => (e.id = "2f1c8a52-6d1e-4d6b-9a51-0d3f6f2f9c11")), "schema_invalid"],
      ["no signature", topicA, mutate((e) => delete e.sig), "schema_invalid"],
      ["raw ID number in the masked field", topicA, mutate((e) => ((e.subject as Record<string, unknown>).masked = "11010519491231002X")), "schema_invalid"],
      ["verified without face scores", topicA, mutate((e) => ((e.verification as Record<string, unknown>).face = null)), "schema_invalid"],
      ["oversize payload", topicA, mutate((e) => ((e.station as Record<string, unknown>).room = "x".repeat(20_000))), "payload_too_large"],
      ["tampered body (bad signature)", topicA, mutate((e) => ((e.verification as Record<string, unknown>).outcome = "card_only")), "bad_signature"],
      ["signed with another box's key", topicA, payloadOf(signEvent(unsignedCheckIn(boxA, 900), boxB.privateKey)), "wrong_key"],
      ["unregistered box", boxTopic("events", stranger), payloadOf(signedCheckIn(stranger, 1)), "unknown_box"],
      ["disabled box", boxTopic("events", disabled), payloadOf(signedCheckIn(disabled, 1)), "box_disabled"],
      ["payload of another box", boxTopic("events", boxB), payloadOf(signedCheckIn(boxA, 901)), "topic_mismatch"],
      ["clock a day in the future", topicA, payloadOf(signedCheckIn(boxA, 902, { at: future })), "clock_in_future"],
      ["clock 40 days old", topicA, payloadOf(signedCheckIn(boxA, 903, { at: old })), "clock_too_old"],
      ["replay: same id, new body", topicA, payloadOf(signedCheckIn(boxA, 1, { id: firstA.id, station: "chair-9" })), "replay_conflict"],
      ["sequence reuse: new id, old seq", topicA, payloadOf(signedCheckIn(boxA, 1)), "sequence_reuse"],
      ["topic outside the tree", "cw/v1/H-TEST-01/box-a/events/x", payloadOf(firstA), "unknown_topic"],
    ];
    expect(new Set(hostile.map(([, , , reason]) => reason)).size).toBeGreaterThanOrEqual(18);

    // First event goes first so replays have something to conflict with; then interleave.
    await h.send(topicA, payloadOf(firstA));
    const rest = valid.slice(1);
    for (let i = 0; i < Math.max(hostile.length, rest.length); i++) {
      const bad = hostile[i];
      if (bad !== undefined) await h.send(bad[1], bad[2]);
      const good = rest[i];
      if (good !== undefined) await h.send(boxTopic("events", good), payloadOf(good));
    }
    await h.pipeline.drained();

    // Every valid event stored exactly once.
    expect(await h.store.countEvents({})).toBe(valid.length);
    for (const event of valid) expect((await h.store.getEvent(event.id))?.seq).toBe(event.seq);
    // Every hostile message quarantined once, with its own reason.
    const quarantined = await h.store.queryQuarantine({}, { limit: 100 });
    expect(quarantined.items).toHaveLength(hostile.length);
    for (const [label, topic, payload, reason] of hostile) {
      const match = quarantined.items.find((q) => q.topic === topic && q.payload.equals(payload.subarray(0, LIMITS.quarantinePayloadCapBytes)));
      expect(match?.reason, label).toBe(reason);
      expect(match?.detail.length, label).toBeGreaterThan(5);
    }
    // Valid events acknowledged as stored; hostile ones that validated acknowledged as quarantined.
    const storedAcks = h.acks.filter((a) => a.result === "stored");
    expect(new Set(storedAcks.map((a) => a.id))).toEqual(new Set(valid.map((e) => e.id)));
    const replayAck = h.acks.find((a) => a.reason === "replay_conflict");
    expect(replayAck?.id).toBe(firstA.id);
    // The replay's ack carries the hash of the replayed bytes, not of the stored original, so box A keeps trusting only its own.
    const originalAck = h.acks.find((a) => a.id === firstA.id && a.result === "stored");
    expect(replayAck?.payloadSha256).not.toBe(originalAck?.payloadSha256);
  });

  it("counts a re-delivered bad message instead of quarantining it twice", async () => {
    const bad = Buffer.from("{not json");
    await h.send(topicA, bad);
    await h.send(topicA, bad);
    await h.pipeline.drained();
    const counts = await h.store.countQuarantine({});
    expect(counts).toEqual([expect.objectContaining({ reason: "invalid_json", messages: 1, occurrences: 2 })]);
  });

  it("accepts a late event with a lower, unused sequence number and reports the gap until it arrives", async () => {
    await h.send(topicA, payloadOf(signedCheckIn(boxA, 1)));
    await h.send(topicA, payloadOf(signedCheckIn(boxA, 3)));
    await h.pipeline.drained();
    expect(await h.store.sequenceStats("box-a")).toEqual({ box: "box-a", stored: 2, maxSeq: 3, missing: 1 });
    await h.send(topicA, payloadOf(signedCheckIn(boxA, 2)));
    await h.pipeline.drained();
    expect(await h.store.sequenceStats("box-a")).toEqual({ box: "box-a", stored: 3, maxSeq: 3, missing: 0 });
  });
});

describe("ingest pipeline with verifier worker threads", () => {
  it("verifies on workers and gives the same outcomes as on the main thread", async () => {
    const h = await harness(2);
    try {
      const events = Array.from({ length: 300 }, (_, i) => signedCheckIn(boxA, i + 1));
      const tampered = { ...signedCheckIn(boxB, 1), seq: 2 };
      for (const e of events) await h.send(topicA, payloadOf(e));
      await h.send(boxTopic("events", boxB), payloadOf(tampered));
      await h.pipeline.drained();
      expect(await h.store.countEvents({})).toBe(300);
      expect(h.acks.filter((a) => a.result === "stored")).toHaveLength(300);
      expect(h.acks.find((a) => a.id === tampered.id)?.reason).toBe("bad_signature");
    } finally {
      await h.pipeline.close();
      await h.verifier.close();
      await h.store.close();
    }
  });
});

describe("ingest pipeline when the store fails", () => {
  async function faultyHarness(failWhen: (batch: Parameters<GatewayStore["commitBatch"]>[0]) => boolean) {
    const store = openSqliteStore({ path: ":memory:" });
    await store.migrate();
    await store.registerDevice(registrationOf(boxA));
    const faulty: GatewayStore = Object.create(store) as GatewayStore;
    faulty.commitBatch = (batch) => (failWhen(batch) ? Promise.reject(new Error("constraint failed")) : store.commitBatch(batch));
    const acks: AckEntry[] = [];
    const pipeline = createIngestPipeline({
      store: faulty,
      directory: createDeviceDirectory(store),
      verifier: createVerifierPool(0),
      gatewayId: "test-gw",
      limits: LIMITS,
      output: { publishAck: (_site, _box, ack) => acks.push(...ack.acks), publishAlert: () => Promise.resolve() },
    });
    return { store, pipeline, acks };
  }

  it("quarantines a message the store refuses (poison) and stores the good ones around it", async () => {
    const events = Array.from({ length: 10 }, (_, i) => signedCheckIn(boxA, i + 1));
    const poison = events[4]?.id ?? "";
    const { store, pipeline, acks } = await faultyHarness((batch) => batch.events.some((e) => e.id === poison));
    for (const e of events) await pipeline.accept(topicA, payloadOf(e));
    await pipeline.drained();
    await pipeline.close();
    expect(await store.countEvents({})).toBe(9);
    expect(await store.getEvent(poison)).toBeUndefined();
    const quarantined = await store.queryQuarantine({}, { limit: 10 });
    expect(quarantined.items.map((q) => [q.eventId, q.reason])).toEqual([[poison, "store_rejected"]]);
    expect(acks.find((a) => a.id === poison)).toMatchObject({ result: "quarantined", reason: "store_rejected" });
    expect(acks.filter((a) => a.result === "stored")).toHaveLength(9);
  });

  it("loses nothing and quarantines nothing while the store is down for a while", async () => {
    let outageUntil = Date.now() + 600;
    const { store, pipeline, acks } = await faultyHarness(() => Date.now() < outageUntil);
    const events = Array.from({ length: 20 }, (_, i) => signedCheckIn(boxA, i + 1));
    for (const e of events) await pipeline.accept(topicA, payloadOf(e));
    await pipeline.drained();
    outageUntil = 0;
    await pipeline.close();
    expect(await store.countEvents({})).toBe(20);
    expect(await store.countQuarantine({})).toEqual([]);
    expect(acks.filter((a) => a.result === "stored")).toHaveLength(20);
    expect(pipeline.stats().commitRetries).toBeGreaterThan(0);
  });
});
