import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { AckMessage, boxTopic } from "../../protocol/index.js";
import { loadBoxSecrets } from "../../device/agent/box-secrets.js";
import { signedCheckEvent } from "../../device/agent/check-event.js";
import { EventOutbox } from "../../device/outbox/event-outbox.js";
import { startGateway } from "../../gateway/gateway-service.js";
import { spawnAgent, type AgentChild } from "../fixtures/agent-child.js";
import { cardAt, prepareBox, prepareEnrolledStation, refOf, until, VERIFIED } from "../fixtures/agent-rig.js";

/**
 * npm run bench:device [-- --checks 30 --backlog 2000 --json]
 *
 * One box agent in its own process pinned to one core (taskset -c 0), production wiring with the
 * real face pipeline (BlazeFace, dlib ResNet, 68-point landmarks for the liveness challenge) on a
 * directory camera of LFW photos, the virtual ID-card reader in-process (30 ms polls), against a
 * gateway (embedded broker, SQLite) in this process:
 *
 * (1) card presented → event in the outbox (signed, fsynced), and → the gateway's ack for it arrives
 *     at the broker; median and p99 over `--checks` checks of an enrolled patient, back to back;
 * (2) sustained checks per minute over the same run (card on, result, card off, next);
 * (3) the agent's peak RSS (sampled every 500 ms);
 * (4) outbox drain after a long outage: `--backlog` events already in the outbox when the agent
 *     starts, drained at the configured backlog rate (50/s) and with the limit lifted.
 */
const { values } = parseArgs({
  options: {
    checks: { type: "string", default: "30" },
    backlog: { type: "string", default: "2000" },
    json: { type: "boolean", default: false },
  },
});
const CHECKS = Number(values.checks);
const BACKLOG = Number(values.backlog);
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const dir = mkdtempSync(join(tmpdir(), "cw-device-bench-"));
const gateway = await startGateway({ store: { kind: "sqlite", path: join(dir, "gateway.db") }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 1 } });
const children: AgentChild[] = [];
try {
  // (1)-(3): checks of an enrolled patient.
  const box = await prepareEnrolledStation(join(dir, "box"), gateway.store, "bench-chair-1", "H-BENCH", gateway.mqttUrl);
  const ackedAt = new Map<string, number>();
  const observer = await mqtt.connectAsync(gateway.mqttUrl, { protocolVersion: 4 });
  observer.on("message", (_topic, payload) => {
    const ack = AckMessage.safeParse(JSON.parse(payload.toString()));
    if (ack.success) for (const entry of ack.data.acks) if (!ackedAt.has(entry.id)) ackedAt.set(entry.id, Date.now());
  });
  await observer.subscribeAsync(boxTopic("acks", { site: "H-BENCH", box: "bench-chair-1" }), { qos: 1 });

  log(`agent on core 0, ${CHECKS} checks of an enrolled patient…`);
  const agent = spawnAgent(box.configPath, "agent-bench-chair-1", "pipeline", 0);
  children.push(agent);
  await until(() => agent.lines.some((l) => l.event === "started"), "agent start", 120_000);
  const toOutbox: number[] = [];
  const toAck: number[] = [];
  const outcomes = new Map<string, number>();
  const runStarted = Date.now();
  for (let i = 0; i < CHECKS; i++) {
    const before = agent.lines.length;
    const placedAt = Date.now();
    agent.send("place 0");
    await until(() => agent.lines.slice(before).some((l) => l.event === "done_shown"), "check recorded", 30_000);
    const recorded = agent.lines.slice(before).find((l) => l.event === "recorded");
    if (recorded !== undefined) {
      toOutbox.push(recorded.t - placedAt);
      outcomes.set(String(recorded.outcome), (outcomes.get(String(recorded.outcome)) ?? 0) + 1);
      const id = String(recorded.id);
      void until(() => ackedAt.has(id), "ack", 30_000).then(() => toAck.push((ackedAt.get(id) ?? 0) - placedAt));
    }
    agent.send("remove");
    await sleep(60);
  }
  const runSeconds = (Date.now() - runStarted) / 1000;
  await until(() => toAck.length === toOutbox.length, "every ack", 60_000);
  const peakRss = Math.max(...agent.lines.filter((l) => l.event === "rss" || l.event === "started").map((l) => Number(l.rss)));
  agent.send("stop");
  await agent.exited;

  // (4): a backlog in the outbox, as a long outage leaves it, drained by a fresh agent.
  const drains: { label: string; perSecond: number; seconds: number; limit: number | null }[] = [];
  for (const [label, limit] of [["configured limit", 50], ["limit lifted", null]] as const) {
    const backlogBox = await prepareBox(join(dir, `backlog-${drains.length}`), gateway.store, { box: `bench-backlog-${drains.length}`, site: "H-BENCH", mqttUrl: gateway.mqttUrl, outbox: { backlogPerSecond: limit ?? 100_000, liveWindowMs: 0 } });
    const secrets = loadBoxSecrets(backlogBox.config.keys);
    const outbox = new EventOutbox(backlogBox.config.outbox.path);
    const card = cardAt(backlogBox, 0);
    const subject = { cardType: "resident_id" as const, ref: refOf(card), refKey: "pk-test", masked: "1101**********1234" };
    const then = Date.now() - 3 * 3600_000;
    for (let i = 0; i < BACKLOG; i++) {
      outbox.enqueue((seq) => {
        const event = signedCheckEvent({ kind: "dialysis.check_in", subject, verification: VERIFIED }, { site: "H-BENCH", box: backlogBox.config.box.id, seq, at: then + i * 1000, utcOffsetMin: 480, clockSync: "ntp", driftMs: null, station: { id: "chair-1", room: null }, evidence: [], signingKey: secrets.signingKey });
        return { id: event.id, topic: boxTopic("events", { site: "H-BENCH", box: backlogBox.config.box.id }), payload: Buffer.from(JSON.stringify(event)) };
      }, then + i * 1000);
    }
    outbox.close();
    log(`draining ${BACKLOG} backlog events (${label})…`);
    const drainer = spawnAgent(backlogBox.configPath, "agent-bench-backlog", "scripted", 0);
    children.push(drainer);
    await until(() => drainer.lines.some((l) => l.event === "started"), "agent start", 120_000);
    const startedAt = drainer.lines.find((l) => l.event === "started")?.t ?? Date.now();
    await until(() => drainer.lines.some((l) => l.event === "rss" && l.depth === 0), "drained", 600_000);
    const doneAt = drainer.lines.find((l) => l.event === "rss" && l.depth === 0)?.t ?? Date.now();
    const stored = await gateway.store.countEvents({ box: backlogBox.config.box.id });
    if (stored !== BACKLOG) throw new Error(`drain stored ${stored} of ${BACKLOG}`);
    const seconds = (doneAt - startedAt) / 1000;
    drains.push({ label, perSecond: BACKLOG / seconds, seconds, limit });
    drainer.send("stop");
    await drainer.exited;
  }
  await observer.endAsync();

  const outboxSorted = [...toOutbox].sort((a, b) => a - b);
  const ackSorted = [...toAck].sort((a, b) => a - b);
  const result = {
    checks: toOutbox.length,
    outcomes: Object.fromEntries(outcomes),
    cardToOutboxMs: { p50: percentile(outboxSorted, 50), p99: percentile(outboxSorted, 99) },
    cardToAckMs: { p50: percentile(ackSorted, 50), p99: percentile(ackSorted, 99) },
    checksPerMinute: (toOutbox.length / runSeconds) * 60,
    peakRssMiB: peakRss / 1024 / 1024,
    drain: drains.map((d) => ({ label: d.label, backlog: BACKLOG, limitPerSecond: d.limit, eventsPerSecond: Math.round(d.perSecond), seconds: Math.round(d.seconds * 10) / 10 })),
  };
  const f = (n: number): string => n.toFixed(0).padStart(7);
  process.stdout.write(
    [
      `device agent, one core (taskset -c 0), real face pipeline, ${result.checks} checks (${JSON.stringify(result.outcomes)})`,
      `                          p50 ms   p99 ms`,
      `card → outbox (fsynced)  ${f(result.cardToOutboxMs.p50)}  ${f(result.cardToOutboxMs.p99)}`,
      `card → gateway ack       ${f(result.cardToAckMs.p50)}  ${f(result.cardToAckMs.p99)}`,
      `sustained checks/minute  ${f(result.checksPerMinute)}`,
      `agent peak RSS (MiB)     ${f(result.peakRssMiB)}`,
      ...result.drain.map((d) => `drain of ${d.backlog} (${d.label}${d.limitPerSecond === null ? "" : ` ${d.limitPerSecond}/s`}): ${d.eventsPerSecond} events/s, ${d.seconds} s`),
      "",
    ].join("\n"),
  );
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  for (const child of children) await child.kill("SIGKILL");
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
}
