import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { spawnAgent, type AgentChild, type AgentLine } from "./fixtures/agent-child.js";
import { prepareEnrolledStation, until } from "./fixtures/agent-rig.js";

/**
 * The agent process (production wiring, real face pipeline, virtual reader) killed with SIGKILL at
 * random points while patients tap cards, many times over: after the last restart every event whose
 * "done" screen was shown is at the gateway exactly once, and no sequence number was ever used twice.
 */
const KILLS = 6;
let dir: string;
let gateway: RunningGateway;
const children: AgentChild[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-agent-sigkill-"));
  gateway = await startGateway({ store: { kind: "sqlite", path: join(dir, "gateway.db") }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 0 } });
});

afterAll(async () => {
  for (const child of children) await child.kill("SIGKILL");
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A small seeded generator (mulberry32) so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function started(child: AgentChild): Promise<void> {
  await until(() => child.lines.some((l) => l.event === "started"), "the agent to start", 90_000);
}

describe("box agent killed at random points", () => {
  it(`after ${KILLS} SIGKILLs mid-check, every event shown as done reaches the gateway exactly once and no seq repeats`, { timeout: 300_000 }, async () => {
    // Every tap is a new check (no repeat window), so checks keep coming.
    const box = await prepareEnrolledStation(join(dir, "box"), gateway.store, "kill-chair-1", "H-KILL", gateway.mqttUrl);
    const seed = Number(process.env.CAREWITNESS_TEST_SEED ?? Date.now() % 100_000);
    const random = seeded(seed);
    const runs: AgentLine[][] = [];
    for (let round = 0; round < KILLS; round++) {
      const child = spawnAgent(box.configPath, "agent-kill-chair-1");
      children.push(child);
      await started(child);
      let tapping = true;
      const taps = (async () => {
        for (let i = 0; tapping; i++) {
          child.send(`place ${i % 4}`);
          await sleep(250 + random() * 900);
          child.send("remove");
          await sleep(80 + random() * 150);
        }
      })();
      await sleep(800 + random() * 3500);
      await child.kill("SIGKILL");
      tapping = false;
      await taps;
      runs.push(child.lines);
    }
    // The last life: no taps, only delivery of what the outbox holds.
    const last = spawnAgent(box.configPath, "agent-kill-chair-1");
    children.push(last);
    await started(last);
    const shown = runs.flat().filter((l) => l.event === "done_shown").map((l) => String(l.id));
    await until(async () => {
      const stored = await Promise.all(shown.map((id) => gateway.store.getEvent(id)));
      return stored.every((e) => e !== undefined) && last.lines.some((l) => l.event === "rss" && l.depth === 0);
    }, "every shown event at the gateway", 120_000);
    last.send("stop");
    await last.exited;

    const recorded = runs.flat().filter((l) => l.event === "recorded");
    const seqs = recorded.map((l) => Number(l.seq));
    const context = `seed ${seed}: ${recorded.length} recorded, ${shown.length} shown done`;
    if (process.env.CAREWITNESS_TEST_VERBOSE === "1") process.stderr.write(`${context}; outcomes ${JSON.stringify(recorded.map((l) => l.outcome))}\n`);
    expect(shown.length, context).toBeGreaterThanOrEqual(KILLS);
    expect(new Set(seqs).size, context).toBe(seqs.length);
    const starts = [...runs.flat(), ...last.lines].filter((l) => l.event === "started").map((l) => Number(l.lastSeq));
    // Each life starts after the highest seq any earlier life printed.
    for (let i = 1; i < runs.length; i++) {
      const before = runs.slice(0, i).flat().filter((l) => l.event === "recorded").map((l) => Number(l.seq));
      expect(starts[i], context).toBeGreaterThanOrEqual(Math.max(0, ...before));
    }
    const stats = await gateway.store.sequenceStats("kill-chair-1");
    expect(stats, context).toMatchObject({ missing: 0 });
    expect(stats.stored, context).toBeGreaterThanOrEqual(shown.length);
    const quarantined = await gateway.store.queryQuarantine({ box: "kill-chair-1" }, { limit: 10 });
    expect(quarantined.items.map((q) => q.reason), context).toEqual([]);
    // Exactly once: one stored row per sequence number up to the highest, and no replay or reuse quarantined.
    expect(await gateway.store.countEvents({ box: "kill-chair-1" }), context).toBe(stats.maxSeq);
  });
});
