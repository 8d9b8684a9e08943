import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import type { BenchMessage } from "./bench-events.js";

/**
 * This machine's ceilings for the steps ingest is made of, measured in the same run as ingest so the
 * ratio survives a noisy shared machine.
 */

/** Ed25519 verifications per second on all cores, one worker thread per core. */
export async function ed25519VerifyCeiling(seconds = 2): Promise<number> {
  const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    const { generateKeyPairSync, sign, verify } = require("node:crypto");
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const message = Buffer.alloc(900, 7);
    const signature = sign(null, message, privateKey);
    const until = Date.now() + workerData.ms;
    let count = 0;
    while (Date.now() < until) { for (let i = 0; i < 100; i++) verify(null, message, publicKey, signature); count += 100; }
    parentPort.postMessage(count);`;
  const workers = availableParallelism();
  const counts = await Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(source, { eval: true, workerData: { ms: seconds * 1000 } });
          worker.once("message", (n: number) => resolve(n));
          worker.once("error", reject);
        }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0) / seconds;
}

/** QoS 1 messages per second through a broker, publisher to subscriber, with payloads like real events. */
export async function brokerQos1Ceiling(url: string, sample: readonly BenchMessage[], count = 20_000): Promise<number> {
  const topic = `bench/ceiling/${process.pid}/${Date.now()}`;
  const subscriber = await mqtt.connectAsync(url, { clientId: `${topic.replaceAll("/", "-")}-sub`, clean: true });
  const publisher = await mqtt.connectAsync(url, { clientId: `${topic.replaceAll("/", "-")}-pub`, clean: true });
  await subscriber.subscribeAsync(topic, { qos: 1 });
  let received = 0;
  const done = new Promise<void>((resolve) => {
    subscriber.on("message", () => {
      if (++received === count) resolve();
    });
  });
  const started = performance.now();
  // Same window as the ingest load, so the broker's queue limit is never hit.
  let inFlight = 0;
  for (let i = 0; i < count; i++) {
    while (i - received >= 800) await new Promise((resolve) => setImmediate(resolve));
    const message = sample[i % sample.length];
    if (message === undefined) throw new Error("no sample");
    inFlight++;
    publisher.publish(topic, message.payload, { qos: 1 }, () => inFlight--);
  }
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 60_000))]);
  const rate = received / ((performance.now() - started) / 1000);
  await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  return rate;
}

/** Rows per second SQLite inserts in WAL mode in 500-row transactions, rows the size of stored events. */
export function sqliteInsertCeiling(path: string, sample: readonly BenchMessage[], rows = 100_000): number {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE IF NOT EXISTS ceiling (id TEXT PRIMARY KEY, box TEXT, seq INTEGER, body TEXT, UNIQUE (box, seq))");
  const insert = db.prepare("INSERT INTO ceiling (id, box, seq, body) VALUES (?, ?, ?, ?)");
  const batch = db.transaction((from: number) => {
    for (let i = from; i < from + 500; i++) insert.run(`row-${i}`, `box-${i % 50}`, i, sample[i % sample.length]?.payload.toString() ?? "");
  });
  const started = performance.now();
  for (let i = 0; i < rows; i += 500) batch(i);
  const rate = rows / ((performance.now() - started) / 1000);
  db.close();
  return rate;
}
