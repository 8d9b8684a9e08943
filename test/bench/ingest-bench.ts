import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { openGatewayStore } from "../../gateway/open-store.js";
import type { StoreConfig } from "../../gateway/gateway-config.js";
import { spawnGateway } from "../fixtures/gateway-process.js";
import { registrationOf } from "../fixtures/signed-events.js";
import { benchFleet, benchMessages } from "./bench-events.js";
import { runIngestLoad, type LoadResult } from "./ingest-load.js";
import { brokerQos1Ceiling, ed25519VerifyCeiling, sqliteInsertCeiling } from "./machine-ceilings.js";

/**
 * npm run bench:ingest [-- --events 20000 --boxes 50 --scenario all|sqlite|postgres --json]
 *
 * Publishes pre-signed events through a broker into a gateway process and its store, for
 * (a) embedded broker + SQLite and (b) Mosquitto + PostgreSQL, and measures this machine's ceilings
 * in the same run: Ed25519 verifications per second on all cores (the costliest step), Mosquitto QoS 1
 * throughput, and SQLite batched inserts.
 */
const { values } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    boxes: { type: "string", default: "50" },
    scenario: { type: "string", default: "all" },
    json: { type: "boolean", default: false },
  },
});
const EVENTS = Number(values.events);
const BOXES = Number(values.boxes);
const MQTT_URL = process.env.CAREWITNESS_TEST_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const PG_URL = process.env.CAREWITNESS_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

interface ScenarioResult extends LoadResult {
  readonly peakRssMb: number;
  /** Gateway CPU time (all threads) per event, and the load generator's, in microseconds. */
  readonly gatewayCpuUsPerEvent: number;
  readonly loadCpuUsPerEvent: number;
  readonly ceilingRatio: number;
}

async function scenario(name: "sqlite" | "postgres", verifyCeiling: number, dir: string): Promise<ScenarioResult> {
  const site = `BENCH-${name}-${Date.now()}`;
  const fleet = benchFleet(site, BOXES);
  log(`[${name}] signing ${EVENTS} events for ${BOXES} boxes`);
  const messages = benchMessages(fleet, EVENTS);
  const schema = `bench_${process.pid}_${Date.now()}`;
  const store: StoreConfig = name === "sqlite" ? { kind: "sqlite", path: join(dir, "bench.db") } : { kind: "postgres", url: PG_URL, schema };
  const setup = await openGatewayStore(store);
  for (const box of fleet) await setup.registerDevice(registrationOf(box));
  await setup.close();

  const args =
    name === "sqlite"
      ? ["--embedded-port", "0", "--sqlite", join(dir, "bench.db"), "--http-port", "0"]
      : ["--mqtt-url", MQTT_URL, "--pg", PG_URL, "--pg-schema", schema, "--http-port", "0", "--share-group", `bench-${process.pid}`, "--gateway-id", `bench-${process.pid}`];
  // The gateway as installed: built JavaScript, no TypeScript loader in the measurement.
  const gateway = await spawnGateway(args, { built: true });
  try {
    log(`[${name}] gateway pid ${gateway.pid} on ${gateway.mqtt}; publishing`);
    const cpuBefore = gateway.cpuSeconds();
    const loadCpuBefore = process.cpuUsage();
    const load = await runIngestLoad({ brokerUrl: gateway.mqtt, site, messages, connections: 4, window: 800, timeoutMs: 300_000 });
    const loadCpu = process.cpuUsage(loadCpuBefore);
    return {
      ...load,
      peakRssMb: gateway.peakRssMb(),
      ceilingRatio: load.eventsPerSecond / verifyCeiling,
      gatewayCpuUsPerEvent: ((gateway.cpuSeconds() - cpuBefore) * 1e6) / load.events,
      loadCpuUsPerEvent: (loadCpu.user + loadCpu.system) / load.events,
    };
  } finally {
    await gateway.kill("SIGTERM");
    if (name === "postgres") {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), "cw-bench-"));
try {
  log("measuring machine ceilings");
  const sample = benchMessages(benchFleet("BENCH-CEILING", 4), 200);
  const ed25519VerifyPerSecond = await ed25519VerifyCeiling();
  const mosquittoQos1PerSecond = await brokerQos1Ceiling(MQTT_URL, sample);
  const sqliteInsertsPerSecond = sqliteInsertCeiling(join(dir, "ceiling.db"), sample);
  const results: Record<string, ScenarioResult> = {};
  if (values.scenario === "all" || values.scenario === "sqlite") results.sqlite = await scenario("sqlite", ed25519VerifyPerSecond, dir);
  if (values.scenario === "all" || values.scenario === "postgres") results.postgres = await scenario("postgres", ed25519VerifyPerSecond, dir);

  const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
  const lines = [
    "",
    `ingest benchmark: ${EVENTS} signed events from ${BOXES} boxes, QoS 1, at most 800 unacknowledged`,
    "",
    "scenario                      events/s   p50 ms   p99 ms   peak RSS MiB   vs Ed25519 ceiling   gateway CPU µs/event   load CPU µs/event   not acked",
    ...Object.entries(results).map(
      ([name, r]) =>
        `${(name === "sqlite" ? "(a) embedded broker + SQLite" : "(b) Mosquitto + PostgreSQL").padEnd(29)} ${round(r.eventsPerSecond, 0).toString().padStart(8)} ${round(r.p50Ms).toString().padStart(8)} ${round(r.p99Ms).toString().padStart(8)} ${round(r.peakRssMb).toString().padStart(14)} ${round(r.ceilingRatio, 3).toString().padStart(20)} ${round(r.gatewayCpuUsPerEvent, 0).toString().padStart(22)} ${round(r.loadCpuUsPerEvent, 0).toString().padStart(19)} ${r.notAcked.toString().padStart(11)}`,
    ),
    "",
    "machine ceilings (same run)",
    `  Ed25519 verifications/s, all cores   ${round(ed25519VerifyPerSecond, 0)}`,
    `  Mosquitto QoS 1 messages/s           ${round(mosquittoQos1PerSecond, 0)}`,
    `  SQLite WAL inserts/s (500-row txns)  ${round(sqliteInsertsPerSecond, 0)}`,
    `  Ed25519 verification CPU µs/event    ${round((1e6 * availableParallelism()) / ed25519VerifyPerSecond, 0)}`,
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (values.json) {
    const shaped = Object.fromEntries(
      Object.entries(results).map(([name, r]) => [
        name,
        { eventsPerSecond: round(r.eventsPerSecond), p50Ms: round(r.p50Ms, 2), p99Ms: round(r.p99Ms, 2), peakRssMb: round(r.peakRssMb), ceilingRatio: round(r.ceilingRatio, 4), gatewayCpuUsPerEvent: round(r.gatewayCpuUsPerEvent, 0), loadCpuUsPerEvent: round(r.loadCpuUsPerEvent, 0), notAcked: r.notAcked },
      ]),
    );
    const ceilings = { ed25519VerifyPerSecond: round(ed25519VerifyPerSecond, 0), mosquittoQos1PerSecond: round(mosquittoQos1PerSecond, 0), sqliteInsertsPerSecond: round(sqliteInsertsPerSecond, 0) };
    process.stdout.write(`${JSON.stringify({ ...shaped, ceilings, events: EVENTS, boxes: BOXES })}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
