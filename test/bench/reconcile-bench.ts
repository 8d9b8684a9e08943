import { createHash } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { collectBillingImport } from "../../gateway/billing/billing-import.js";
import { importBillingIntoStore } from "../../gateway/billing/billing-store-import.js";
import { openGatewayStore } from "../../gateway/open-store.js";
import { findingId, type RuleId } from "../../gateway/reconcile/finding.js";
import { reconcile } from "../../gateway/reconcile/reconcile.js";
import { checkEventOf, type CheckEvent, type ReconcileInput } from "../../gateway/reconcile/reconcile-input.js";
import { ReconcileParams } from "../../gateway/reconcile/reconcile-params.js";
import { EventMessage, personRef } from "../../protocol/index.js";
import { createIncrementalRunner } from "../../gateway/alerts/incremental-runner.js";
import { planBilling } from "../../simulator/billing/billing-plan.js";
import { planFleet, planTraffic } from "../../simulator/fleet/index.js";
import { BENCH_HEADER, benchFacts, benchIdNumber, writeBenchCsv } from "./reconcile-bench-data.js";
import { measureAlertLatency, type AlertLatency } from "./reconcile-bench-latency.js";

/**
 * npm run bench:reconcile [-- --quick] [--json] [--rows N] [--sessions N] [--boxes N] [--seconds S]
 *
 * 1. import rate: an N-row CSV (default 1 000 000) generated in a temp dir, streamed into a SQLite store
 *    as `carewitness billing import` does (parse, validate, hash, dedupe, 1000-row transactions);
 * 2. full reconciliation: reconcile() over N billed sessions and their check events, in memory;
 * 3. incremental latency for one late billing row;
 * 4. p99 time from a mismatch event's publish to its alert, with 1 000 boxes publishing;
 * 5. detection quality on a seeded simulator scenario: recall and precision per rule against the
 *    scenario's ground truth (simulator/billing).
 * Human table on stderr+stdout; with --json one JSON object on the last line of stdout.
 */
const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    rows: { type: "string" },
    sessions: { type: "string" },
    boxes: { type: "string" },
    seconds: { type: "string" },
    only: { type: "string", default: "import,reconcile,incremental,latency,quality" },
  },
});
const QUICK = values.quick;
const ROWS = Number(values.rows ?? (QUICK ? 20_000 : 1_000_000));
const SESSIONS = Number(values.sessions ?? (QUICK ? 20_000 : 1_000_000));
const BOXES = Number(values.boxes ?? (QUICK ? 100 : 1000));
const SECONDS = Number(values.seconds ?? (QUICK ? 5 : 30));
const ONLY = new Set(values.only.split(","));
const KEY = createHash("sha256").update("bench:reconcile pseudonym key").digest();
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const rssMb = (): number => Math.round(process.memoryUsage().rss / 1048576);

interface ImportFigures {
  rows: number;
  fileMb: number;
  seconds: number;
  rowsPerSecond: number;
  stored: number;
  rejected: number;
  rssMbAfter: number;
}

const IMPORT_DB = (dir: string): string => join(dir, "import.db");

async function importRate(dir: string): Promise<ImportFigures> {
  const file = join(dir, "billing.csv");
  log(`[import] writing a ${ROWS}-row CSV`);
  await writeBenchCsv(file, ROWS);
  const store = await openGatewayStore({ kind: "sqlite", path: IMPORT_DB(dir) });
  await store.migrate();
  log("[import] importing into SQLite");
  const started = performance.now();
  const result = await importBillingIntoStore(createReadStream(file), store, {
    pseudonymKey: KEY,
    onProgress: (rows) => {
      if (rows % 200_000 === 0) log(`[import] ${rows} rows`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return { rows: ROWS, fileMb: Math.round(statSync(file).size / 1048576), seconds: round(seconds, 1), rowsPerSecond: Math.round(ROWS / seconds), stored: result.stored, rejected: result.rejected, rssMbAfter: rssMb() };
}

interface ReconcileFigures {
  sessions: number;
  events: number;
  seconds: number;
  findings: number;
  findingsByRule: Record<string, number>;
  heapMb: number;
}

interface Incremental {
  method: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

function fullReconcile(): { figures: ReconcileFigures; input: ReconcileInput } {
  log(`[reconcile] generating ${SESSIONS} sessions and their events`);
  const input = benchFacts(SESSIONS, KEY);
  const params = ReconcileParams.parse({});
  log(`[reconcile] reconciling ${input.items.length} billed sessions against ${input.events.length} events`);
  const started = performance.now();
  const findings = reconcile(input, params);
  const seconds = (performance.now() - started) / 1000;
  const byRule: Record<string, number> = {};
  for (const f of findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  return {
    figures: { sessions: input.items.length, events: input.events.length, seconds: round(seconds, 1), findings: findings.length, findingsByRule: byRule, heapMb: Math.round(process.memoryUsage().heapUsed / 1048576) },
    input,
  };
}

/**
 * One late billing row: the rules are functions of one patient's facts, so a late row re-runs them for
 * that patient. Without the gateway's incremental runner (gateway/alerts) this measures that re-run
 * over the patient's facts taken from an in-memory index: it excludes reading them from the store.
 */
function incrementalLatency(input: ReconcileInput): Incremental {
  const itemsByRef = new Map<string, ReconcileInput["items"][number][]>();
  for (const item of input.items) itemsByRef.set(item.patientRef, [...(itemsByRef.get(item.patientRef) ?? []), item]);
  const eventsByRef = new Map<string, CheckEvent[]>();
  for (const event of input.events) if (event.ref !== null) eventsByRef.set(event.ref, [...(eventsByRef.get(event.ref) ?? []), event]);
  const refs = [...itemsByRef.keys()];
  const params = ReconcileParams.parse({});
  const times: number[] = [];
  const samples = Math.min(1000, refs.length);
  for (let i = 0; i < samples; i++) {
    const ref = refs[Math.floor((i * refs.length) / samples)] ?? "";
    const items = itemsByRef.get(ref) ?? [];
    const last = items[items.length - 1];
    if (last === undefined) continue;
    const late = { ...last, lineId: `${last.lineId}-late`, serviceStart: (last.serviceStart ?? 0) + 2 * 86_400_000, serviceEnd: (last.serviceEnd ?? 0) + 2 * 86_400_000 };
    const started = performance.now();
    reconcile({ items: [...items, late], events: eventsByRef.get(ref) ?? [] }, params);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { method: "per-patient re-run of every rule over in-memory facts", samples: times.length, p50Ms: round(percentile(times, 50), 3), p99Ms: round(percentile(times, 99), 3) };
}

/**
 * One late billing row, store-backed: the row imported into the SQLite store that holds the import
 * phase's lines, then one pass of the alert back end's incremental runner (gateway/alerts), which
 * reads the patient's facts from the store, re-runs every rule for that patient and upserts the alerts.
 * Each sampled patient is evaluated once first (untimed), so the timed pass raises one new alert (the
 * late row has no check-in: D1) and updates none; the store has no events, the worst case for D1.
 */
async function incrementalStoreLatency(dir: string, rows: number): Promise<Incremental> {
  const store = await openGatewayStore({ kind: "sqlite", path: IMPORT_DB(dir) });
  try {
    const cases = store.alertCases();
    await cases.setCursor("touched", Date.now());
    // overlapMs 0: the runner re-reads its feeds a minute back by default, which here would re-run every
    // patient of the bulk import that just finished; in service the import is minutes old.
    const runner = createIncrementalRunner({ store, overlapMs: 0 });
    const patients = Math.max(1, Math.floor(rows / 78));
    const samples = Math.min(QUICK ? 20 : 100, patients);
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const patient = Math.floor((i * patients) / samples);
      await runner.evaluatePatient(personRef(benchIdNumber(patient), KEY));
      const row = `H-BENCH-${String(patient % 50).padStart(2, "0")},SLATE,LATE${i},01,${benchIdNumber(patient)},王秀英,outpatient,311000006,血液透析,2026-11-20 07:30,2026-11-20 11:30,1,次,400.00,400.00,肾内科`;
      const started = performance.now();
      await importBillingIntoStore([`${BENCH_HEADER}\n${row}\n`], store, { pseudonymKey: KEY });
      const touched = await runner.runOnce();
      times.push(performance.now() - started);
      if (!touched.includes(personRef(benchIdNumber(patient), KEY))) throw new Error("the runner did not re-evaluate the late row's patient");
    }
    times.sort((a, b) => a - b);
    return { method: `store-backed: import of the row + one incremental-runner pass (SQLite holding ${rows} billed lines, 78 a patient, no events)`, samples: times.length, p50Ms: round(percentile(times, 50), 1), p99Ms: round(percentile(times, 99), 1) };
  } finally {
    await store.close();
  }
}

interface RuleQuality {
  rule: string;
  planted: number;
  found: number;
  truePositives: number;
  recall: number | null;
  precision: number | null;
}

interface Quality {
  seed: string;
  days: number;
  sessions: number;
  billedLines: number;
  events: number;
  rules: RuleQuality[];
  missed: string[];
  unexpected: string[];
}

async function detectionQuality(): Promise<Quality> {
  const seed = "bench-reconcile-quality-1";
  const days = QUICK ? 14 : 28;
  const endAt = Date.parse("2026-11-23T00:00:00+08:00");
  const fleet = planFleet({ seed, sites: 3, stationsPerSite: 8, wardsPerSite: 1 });
  const messages = planTraffic(fleet, { days, endAt, badShare: 0 });
  const billing = planBilling(fleet, messages, { asOf: endAt, phantomShare: 0.15, doubleBillingShare: 0.1 });
  const imported = await collectBillingImport([Buffer.from(`${billing.csvLines.join("\n")}\n`)], { pseudonymKey: fleet.pseudonymKey });
  if (imported.rejections.length > 0) throw new Error(`simulator billing rejected: ${JSON.stringify(imported.rejections.slice(0, 3))}`);
  const events = messages.filter((m) => m.truth.type === "valid").map((m) => checkEventOf(EventMessage.parse(JSON.parse(m.payload.toString("utf8")))));
  const findings = reconcile({ items: imported.items, events }, ReconcileParams.parse({ asOf: endAt }));

  const expected = new Map<string, string>();
  for (const e of billing.expected) expected.set(findingId(e.rule, e.causes), `${e.rule} ${e.why} ${e.causes.join("+")}`);
  const found = new Map(findings.map((f) => [f.id, f]));
  const rules = [...new Set([...billing.expected.map((e) => e.rule as string), ...findings.map((f) => f.rule as string)])].sort();
  const quality = rules.map((rule): RuleQuality => {
    const planted = billing.expected.filter((e) => e.rule === rule).map((e) => findingId(e.rule as RuleId, e.causes));
    const ruleFindings = findings.filter((f) => f.rule === rule);
    const truePositives = planted.filter((id) => found.has(id)).length;
    return {
      rule,
      planted: planted.length,
      found: ruleFindings.length,
      truePositives,
      recall: planted.length === 0 ? null : round(truePositives / planted.length, 4),
      precision: ruleFindings.length === 0 ? null : round(ruleFindings.filter((f) => expected.has(f.id)).length / ruleFindings.length, 4),
    };
  });
  return {
    seed,
    days,
    sessions: billing.counts.sessions,
    billedLines: billing.counts.billedLines,
    events: events.length,
    rules: quality,
    missed: [...expected.entries()].filter(([id]) => !found.has(id)).map(([, what]) => what).slice(0, 20),
    unexpected: findings.filter((f) => !expected.has(f.id)).map((f) => `${f.rule} ${f.lineIds.join("+")} ${f.eventIds.join("+")}: ${f.explanation.en}`).slice(0, 20),
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("  ")).join("\n");
}

const dir = mkdtempSync(join(tmpdir(), "cw-reconcile-bench-"));
const report: Record<string, unknown> = { quick: QUICK, cores: availableParallelism(), node: process.version };
try {
  // The latency run first, while this process is small: a multi-GB heap's GC pauses would be timed too.
  if (ONLY.has("latency")) report.latency = await measureAlertLatency({ dir, boxes: BOXES, seconds: SECONDS, log });
  if (ONLY.has("quality")) report.quality = await detectionQuality();
  if (ONLY.has("import")) report.import = await importRate(dir);
  if (ONLY.has("incremental") && ONLY.has("import")) report.incremental = await incrementalStoreLatency(dir, ROWS);
  if (ONLY.has("reconcile")) {
    const full = fullReconcile();
    report.reconcile = full.figures;
    if (ONLY.has("incremental")) report.incrementalInMemory = incrementalLatency(full.input);
  } else if (ONLY.has("incremental") && !ONLY.has("import")) {
    report.incremental = incrementalLatency(benchFacts(Math.min(SESSIONS, 100_000), KEY));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const lines: string[] = ["", `bench:reconcile${QUICK ? " (quick)" : ""} — ${String(report.cores)} cores, Node ${process.version}`, ""];
const figures: string[][] = [["figure", "value", "bounded by"]];
const imp = report.import as ImportFigures | undefined;
if (imp) figures.push(["billing import, rows/s", `${imp.rowsPerSecond} (${imp.rows} rows, ${imp.fileMb} MB, ${imp.seconds} s)`, "one core: CSV parse + validation + HMAC of each ID number + SQLite upsert in 1000-row transactions"]);
const rec = report.reconcile as ReconcileFigures | undefined;
if (rec) figures.push(["full reconciliation", `${rec.seconds} s (${rec.sessions} sessions, ${rec.events} events, ${rec.findings} findings, heap ${rec.heapMb} MB)`, "one core, in memory: index build + every rule per patient; excludes reading from the store"]);
const inc = report.incremental as Incremental | undefined;
if (inc) figures.push(["incremental, one late row", `p50 ${inc.p50Ms} ms, p99 ${inc.p99Ms} ms (${inc.samples} rows)`, inc.method]);
const incMem = report.incrementalInMemory as Incremental | undefined;
if (incMem) figures.push(["rules for one patient", `p50 ${incMem.p50Ms} ms, p99 ${incMem.p99Ms} ms (${incMem.samples} patients)`, "in memory, 78 sessions and 154 events a patient: the rule cost alone, without the store"]);
const lat = report.latency as AlertLatency | undefined;
if (lat) {
  const load = `${lat.boxes} boxes publishing ${lat.backgroundPerSecond} events/s for ${lat.seconds} s; gateway in its own process (embedded broker, SQLite, ${String(availableParallelism())} verifier workers)`;
  const shown = (c: { p50Ms: number; p99Ms: number; maxMs: number; samples: number; lost: number }): string => `p50 ${c.p50Ms} ms, p99 ${c.p99Ms} ms, max ${c.maxMs} ms (${c.samples} of ${lat.published} alerts${c.lost > 0 ? `, ${c.lost} not seen` : ""})`;
  figures.push(["publish → alert on SSE", lat.sse === null ? "no SSE route in this gateway" : shown(lat.sse), `${load}; SSE follows the store's change feed (poll or nudge)`]);
  figures.push(["publish → alert on MQTT", shown(lat.mqtt), `${load}; published once stored`]);
}
lines.push(table(figures));
const q = report.quality as Quality | undefined;
if (q) {
  lines.push("", `detection quality: seed ${q.seed}, ${q.days} days, ${q.sessions} sessions, ${q.billedLines} billed lines, ${q.events} events`);
  lines.push(table([["rule", "planted", "found", "true pos.", "recall", "precision"], ...q.rules.map((r) => [r.rule, String(r.planted), String(r.found), String(r.truePositives), r.recall === null ? "—" : r.recall.toFixed(3), r.precision === null ? "—" : r.precision.toFixed(3)])]));
  if (q.missed.length > 0) lines.push("missed (first 8):", ...q.missed.slice(0, 8).map((m) => `  ${m}`));
  if (q.unexpected.length > 0) lines.push("found beyond the truth (first 8):", ...q.unexpected.slice(0, 8).map((m) => `  ${m}`));
}
process.stdout.write(`${lines.join("\n")}\n`);
if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
