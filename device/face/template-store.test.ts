import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { TemplateStore, TemplateStoreError } from "./template-store.js";

const dir = mkdtempSync(join(tmpdir(), "cw-templates-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function descriptor(seed: number): Float32Array {
  return Float32Array.from({ length: 128 }, (_, i) => Math.sin(seed * 31 + i) * 0.2);
}

describe("template store", () => {
  it("round-trips a template and keeps no plaintext descriptor on disk", () => {
    const path = join(dir, "round.db");
    const store = new TemplateStore(path, randomBytes(32));
    const d = descriptor(1);
    store.put({ personRef: "a".repeat(64), model: "dlib-resnet-v1@2", descriptor: d, frames: 3, enrolledAt: 1 });
    expect(Array.from(store.get("a".repeat(64), "dlib-resnet-v1@2")?.descriptor ?? [])).toEqual(Array.from(d));
    store.close();
    const file = readFileSync(path);
    const wal = (() => {
      try {
        return readFileSync(`${path}-wal`);
      } catch {
        return Buffer.alloc(0);
      }
    })();
    const plain = Buffer.from(d.buffer).subarray(0, 16);
    expect(file.includes(plain)).toBe(false);
    expect(wal.includes(plain)).toBe(false);
  });

  it("refuses to decrypt with another key, a tampered row, or a row moved to another person", () => {
    const path = join(dir, "tamper.db");
    const key = randomBytes(32);
    const store = new TemplateStore(path, key);
    store.put({ personRef: "p1", model: "m@1", descriptor: descriptor(2), frames: 3, enrolledAt: 1 });
    store.put({ personRef: "p2", model: "m@1", descriptor: descriptor(3), frames: 3, enrolledAt: 1 });
    store.close();
    const wrongKey = new TemplateStore(path, randomBytes(32));
    expect(() => wrongKey.get("p1", "m@1")).toThrow(TemplateStoreError);
    wrongKey.close();
    const db = new Database(path);
    db.prepare("UPDATE templates SET person_ref = 'p3' WHERE person_ref = 'p1'").run();
    db.prepare("UPDATE templates SET ciphertext = zeroblob(512) WHERE person_ref = 'p2'").run();
    db.close();
    const reopened = new TemplateStore(path, key);
    expect(() => reopened.get("p3", "m@1")).toThrow(expect.objectContaining({ code: "decrypt_failed" }) as Error);
    expect(() => reopened.get("p2", "m@1")).toThrow(TemplateStoreError);
    reopened.close();
  });

  it("refuses a key that is not 32 bytes", () => {
    expect(() => new TemplateStore(join(dir, "key.db"), randomBytes(16))).toThrow(expect.objectContaining({ code: "bad_key" }) as Error);
  });
});
