import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { boxTopic } from "../../protocol/index.js";
import { payloadOf, signedCheckIn, testBox } from "../../test/fixtures/signed-events.js";
import { EventOutbox } from "./event-outbox.js";
import { OutboxError } from "./outbox-error.js";

const dir = mkdtempSync(join(tmpdir(), "cw-outbox-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const box = testBox("outbox-box");
const topic = boxTopic("events", box);

function enqueueCheckIn(outbox: EventOutbox, now = Date.now()): ReturnType<EventOutbox["enqueue"]> {
  return outbox.enqueue((seq) => {
    const event = signedCheckIn(box, seq);
    return { id: event.id, topic, payload: payloadOf(event) };
  }, now);
}

describe("event outbox", () => {
  it("numbers events 1, 2, 3 ... and never reuses a number, even after every event is acked and the file reopened", () => {
    const path = join(dir, "seq.db");
    let outbox = new EventOutbox(path);
    const first = [enqueueCheckIn(outbox), enqueueCheckIn(outbox), enqueueCheckIn(outbox)];
    expect(first.map((e) => e.seq)).toEqual([1, 2, 3]);
    outbox.acknowledge(first.map((e) => ({ id: e.id, seq: e.seq, payloadSha256: e.payloadSha256, result: "stored", reason: null })));
    expect(outbox.stats().depth).toBe(0);
    outbox.close();
    outbox = new EventOutbox(path);
    expect(enqueueCheckIn(outbox).seq).toBe(4);
    outbox.close();
  });

  it("deletes an event only on an ack naming its id and the hash of its exact bytes", () => {
    const outbox = new EventOutbox(join(dir, "ack.db"));
    const event = enqueueCheckIn(outbox);
    const base = { id: event.id, seq: event.seq, result: "stored" as const, reason: null };
    expect(outbox.acknowledge([{ ...base, payloadSha256: "0".repeat(64) }])).toEqual(["hash_mismatch"]);
    expect(outbox.stats().depth).toBe(1);
    expect(outbox.acknowledge([{ ...base, payloadSha256: event.payloadSha256 }])).toEqual(["deleted"]);
    expect(outbox.acknowledge([{ ...base, payloadSha256: event.payloadSha256 }])).toEqual(["unknown"]);
    expect(outbox.stats().depth).toBe(0);
    outbox.close();
  });

  it("offers unsent events in sequence order, and a sent one again only after the resend interval", () => {
    const outbox = new EventOutbox(join(dir, "due.db"));
    const events = [enqueueCheckIn(outbox, 1000), enqueueCheckIn(outbox, 1001), enqueueCheckIn(outbox, 1002)];
    expect(outbox.due(2000, 500, 10).map((e) => e.seq)).toEqual([1, 2, 3]);
    outbox.markSent([1, 2], 2000);
    expect(outbox.due(2100, 500, 10).map((e) => e.seq)).toEqual([3]);
    expect(outbox.due(2600, 500, 10).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(outbox.due(2600, 500, 10).find((e) => e.seq === 1)?.attempts).toBe(1);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    outbox.close();
  });

  it("refuses an oversize event and a duplicate id with a typed error, spending no sequence number", () => {
    const outbox = new EventOutbox(join(dir, "refuse.db"));
    const ok = enqueueCheckIn(outbox);
    const oversize = (): unknown => outbox.enqueue(() => ({ id: "x", topic, payload: Buffer.alloc(20_000) }));
    expect(oversize).toThrow(OutboxError);
    const duplicate = (): unknown => outbox.enqueue(() => ({ id: ok.id, topic, payload: ok.payload }));
    expect(duplicate).toThrow(expect.objectContaining({ code: "duplicate_event_id" }) as Error);
    expect(enqueueCheckIn(outbox).seq).toBe(2);
    outbox.close();
  });

  it("keeps acknowledged events for resend_outbox: requeued from a seq as never sent, byte for byte, and pruned by age and bytes", () => {
    const outbox = new EventOutbox(join(dir, "resend.db"));
    const events = [1, 2, 3, 4].map((i) => enqueueCheckIn(outbox, 1000 + i));
    const ack = (e: (typeof events)[number]) => ({ id: e.id, seq: e.seq, payloadSha256: e.payloadSha256, result: "stored" as const, reason: null });
    outbox.acknowledge(events.slice(0, 3).map(ack), 5000);
    expect([outbox.stats().depth, outbox.deliveredStats().count, outbox.deliveredStats().fromSeq]).toEqual([1, 3, 1]);
    outbox.markSent([4], 5000);
    // The gateway lost everything from seq 2 on: 2 and 3 come back, 4 (still unacknowledged) is due again at once.
    expect(outbox.requeueFrom(2)).toEqual({ requeued: 2, heldFrom: 2, lastSeq: 4 });
    const due = outbox.due(5001, 30_000, 10);
    expect(due.map((e) => [e.seq, e.attempts, e.lastSentAt])).toEqual([[2, 0, null], [3, 0, null], [4, 1, null]]);
    expect(due.map((e) => e.payload.equals(events[e.seq - 1]?.payload ?? Buffer.alloc(0)))).toEqual([true, true, true]);
    expect(outbox.deliveredStats().count).toBe(1);
    // Asked again: nothing more to requeue, and what is held starts where it starts.
    expect(outbox.requeueFrom(2)).toEqual({ requeued: 0, heldFrom: 2, lastSeq: 4 });
    outbox.acknowledge(due.map((e) => ({ id: e.id, seq: e.seq, payloadSha256: e.payloadSha256, result: "stored" as const, reason: null })), 9000);
    expect([outbox.stats().depth, outbox.deliveredStats().count]).toEqual([0, 4]);
    // Age: acknowledged before 6000 (seq 1) goes; bytes: keep at most two events' worth, oldest first.
    expect(outbox.pruneDelivered(6000, Number.MAX_SAFE_INTEGER)).toBe(1);
    const size = events[3]?.payload.byteLength ?? 0;
    expect(outbox.pruneDelivered(0, 2 * size + 10)).toBe(1);
    expect(outbox.deliveredStats()).toMatchObject({ count: 2, fromSeq: 3 });
    // Seq 2 is gone for good: a resend from 1 says the box holds events only from 3 on.
    expect(outbox.requeueFrom(1)).toEqual({ requeued: 2, heldFrom: 3, lastSeq: 4 });
    outbox.close();
  });

  it("opens an outbox written before acknowledged events were kept, with its events and sequence intact", () => {
    const path = join(dir, "v1.db");
    const old = new Database(path);
    old.exec(`
      CREATE TABLE outbox (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, topic TEXT NOT NULL, payload BLOB NOT NULL, payload_sha256 TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL, last_sent_at INTEGER);
      CREATE TABLE outbox_state (last_seq INTEGER NOT NULL);
      INSERT INTO outbox_state (last_seq) VALUES (7);
      INSERT INTO outbox VALUES (7, 'e7', 'cw/v1/s/b/events', x'7b7d', '${"a".repeat(64)}', 1, 0, NULL);
      PRAGMA user_version = 1;
    `);
    old.close();
    const outbox = new EventOutbox(path);
    expect(outbox.stats()).toMatchObject({ depth: 1, lastSeq: 7 });
    expect(outbox.acknowledge([{ id: "e7", seq: 7, payloadSha256: "a".repeat(64), result: "stored", reason: null }])).toEqual(["deleted"]);
    expect(outbox.deliveredStats()).toMatchObject({ count: 1, fromSeq: 7 });
    expect(enqueueCheckIn(outbox).seq).toBe(8);
    outbox.close();
  });

  it("keeps every event it confirmed, with no repeated sequence number, across SIGKILLs at random points", async () => {
    const path = join(dir, "crash.db");
    const writer = fileURLToPath(new URL("../../test/fixtures/outbox-crash-writer.ts", import.meta.url));
    const confirmed = new Set<number>();
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", writer, path], { stdio: ["ignore", "pipe", "inherit"] });
      let buffer = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) if (line !== "") confirmed.add(Number(line));
      });
      // Kill at a point within the writing, not within the process start (slow on a loaded machine).
      const before = confirmed.size;
      const deadline = Date.now() + 30_000;
      while (confirmed.size === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 100 + round * 137));
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    const outbox = new EventOutbox(path);
    const stored = outbox.due(Number.MAX_SAFE_INTEGER, 0, 1_000_000).map((e) => e.seq);
    expect(confirmed.size).toBeGreaterThan(10);
    for (const seq of confirmed) expect(stored).toContain(seq);
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored).toEqual([...stored].sort((a, b) => a - b));
    expect(outbox.stats().lastSeq).toBeGreaterThanOrEqual(Math.max(...confirmed));
    outbox.close();
  });
});
