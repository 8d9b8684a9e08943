import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { boxTopic } from "../../protocol/index.js";
import { EventOutbox } from "./event-outbox.js";
import { EvidenceStore } from "./evidence-store.js";

const dir = mkdtempSync(join(tmpdir(), "cw-evidence-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("evidence store", () => {
  it("keeps evidence encrypted at rest under its content hash and gives the bytes back", () => {
    const store = new EvidenceStore(join(dir, "a"), randomBytes(32));
    const image = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(500)]);
    const ref = store.put(image);
    expect(ref).toMatchObject({ kind: "frame", mediaType: "image/jpeg", bytes: 503 });
    const onDisk = readFileSync(join(dir, "a", `${ref.sha256}.bin`));
    expect(onDisk.includes(image.subarray(0, 64))).toBe(false);
    expect(store.get(ref.sha256)).toEqual(image);
    // Tampered or another key: nothing, rather than wrong bytes.
    writeFileSync(join(dir, "a", `${ref.sha256}.bin`), Buffer.concat([onDisk.subarray(0, 20), Buffer.from([(onDisk[20] ?? 0) ^ 1]), onDisk.subarray(21)]));
    expect(store.get(ref.sha256)).toBeNull();
  });

  it("prunes the oldest evidence first to its byte cap and for free disk, and never an event", () => {
    const store = new EvidenceStore(join(dir, "b"), randomBytes(32));
    const outbox = new EventOutbox(join(dir, "b-outbox.db"));
    outbox.enqueue((seq) => ({ id: `0190c2a4-5d7e-7000-8000-00000000000${seq}`, topic: boxTopic("events", { site: "S", box: "B" }), payload: Buffer.from("{}") }));
    const refs = [0, 1, 2, 3].map((i) => {
      const ref = store.put(randomBytes(1000));
      utimesSync(join(dir, "b", `${ref.sha256}.bin`), 1000 + i, 1000 + i);
      return ref;
    });
    const capped = store.prune({ maxBytes: 2 * 1100, minFreeBytes: 0 });
    expect(capped.deletedFiles).toBe(2);
    expect(refs.map((ref) => store.get(ref.sha256) !== null)).toEqual([false, false, true, true]);
    // A volume that cannot have this much free space: every evidence file goes; the outbox stays.
    const full = store.prune({ maxBytes: Number.MAX_SAFE_INTEGER, minFreeBytes: Number.MAX_SAFE_INTEGER });
    expect(full.deletedFiles).toBe(2);
    expect(readdirSync(join(dir, "b"))).toEqual([]);
    expect(outbox.stats().depth).toBe(1);
    outbox.close();
  });
});
