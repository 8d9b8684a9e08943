import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../protocol/index.js";
import { judgeCommand } from "./box-commands.js";
import { WatchListFile } from "./watch-list-file.js";

const NOW = Date.parse("2026-11-25T10:00:00Z");
const ID = "0193b6a0-0000-7000-8000-00000000000a";
const REF = "e".repeat(64);

function payload(overrides: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: PROTOCOL_VERSION,
      id: ID,
      issuedAt: "2026-11-25T09:59:00Z",
      expiresAt: "2026-11-25T11:00:00Z",
      command: "watch_list_update",
      args: { watchList: [{ cardRef: REF, faceTemplateId: null }] },
      ...overrides,
    }),
  );
}

describe("judging the gateway's commands", () => {
  it("runs a valid, current, supported command once", () => {
    const first = judgeCommand(payload(), NOW, new Set());
    expect(first).toMatchObject({ kind: "run", command: { id: ID, command: "watch_list_update" } });
    expect(judgeCommand(payload(), NOW, new Set([ID]))).toMatchObject({ kind: "drop", detail: expect.stringContaining("already carried out") as unknown });
  });

  it("answers an expired, unsupported or incomplete command with its status and reason", () => {
    expect(judgeCommand(payload({ expiresAt: "2026-11-25T09:59:59Z" }), NOW, new Set())).toMatchObject({ kind: "answer", response: { commandId: ID, status: "expired" } });
    expect(judgeCommand(payload({ command: "resend_outbox", args: { fromSeq: 3 } }), NOW, new Set())).toMatchObject({ kind: "run", command: { command: "resend_outbox", args: { fromSeq: 3 } } });
    expect(judgeCommand(payload({ command: "resend_outbox", args: {} }), NOW, new Set())).toMatchObject({
      kind: "answer",
      response: { status: "rejected", error: "resend_outbox without args.fromSeq" },
    });
    expect(judgeCommand(payload({ args: {} }), NOW, new Set())).toMatchObject({ kind: "answer", response: { status: "rejected", error: "watch_list_update without args.watchList" } });
  });

  it("rejects a malformed command by its id when it has one, and drops it when it has none", () => {
    expect(judgeCommand(payload({ args: { watchList: [{ cardRef: "not-a-ref", faceTemplateId: null }] } }), NOW, new Set())).toMatchObject({
      kind: "answer",
      response: { commandId: ID, status: "rejected", error: expect.stringMatching(/^schema_invalid: args\.watchList\.0\.cardRef/) as unknown },
    });
    expect(judgeCommand(Buffer.from("{ not json"), NOW, new Set())).toMatchObject({ kind: "drop", detail: expect.stringMatching(/^invalid_json/) as unknown });
    expect(judgeCommand(payload({ id: "../../etc" }), NOW, new Set())).toMatchObject({ kind: "drop" });
  });
});

describe("the watch list file", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the pushed list across restarts, replaces it whole, and reads a damaged file as empty", () => {
    dir = mkdtempSync(join(tmpdir(), "cw-watch-"));
    const path = join(dir, "watch-list.json");
    const list = new WatchListFile(path);
    expect(list.has(REF)).toBe(false);
    list.replace({ cardRefs: [REF, REF], faceRefs: ["face-ref-b"] }, ID, NOW);
    expect([list.has(REF), list.size, list.faceRefs]).toEqual([true, 1, ["face-ref-b"]]);
    const reread = new WatchListFile(path);
    expect([reread.has(REF), reread.faceRefs]).toEqual([true, ["face-ref-b"]]);
    list.replace({ cardRefs: [], faceRefs: [] }, ID, NOW + 1);
    expect([new WatchListFile(path).has(REF), new WatchListFile(path).faceRefs]).toEqual([false, []]);
    writeFileSync(path, "{ damaged");
    expect([new WatchListFile(path).size, new WatchListFile(path).faceRefs]).toEqual([0, []]);
  });

  it("reads a list written before faces were listed as cards only", () => {
    dir = mkdtempSync(join(tmpdir(), "cw-watch-"));
    const path = join(dir, "watch-list.json");
    writeFileSync(path, JSON.stringify({ commandId: ID, updatedAt: new Date(NOW).toISOString(), cardRefs: [REF] }));
    const list = new WatchListFile(path);
    expect([list.has(REF), list.faceRefs]).toEqual([true, []]);
  });
});
