import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { SerialPort } from "serialport";
import { baseMessageData, encodeCommand, encodeResponse, FrameDecoder } from "../../device/idcard/codec.js";
import { IdCardReader, type CardPresentation } from "../../device/idcard/id-card-reader.js";
import { makePtyDir, openPtyPair } from "../../simulator/idcard/pty-pair.js";
import { attachVirtualReaderToPort } from "../../simulator/idcard/serial-port-transport.js";
import { virtualCardDeck } from "../../simulator/idcard/virtual-cards.js";
import { VirtualReader } from "../../simulator/idcard/virtual-reader.js";

/**
 * npm run bench:reader [-- --presentations 20 --poll-ms 20 --json]
 *
 * (1) Frames decoded per second by the pure decoder, for small frames (find card and its reply) and
 *     for read-base replies (1295 bytes), fed in 4 KiB chunks.
 * (2) End to end from "card placed" on the virtual reader to the driver's "presented" event through
 *     a socat pseudo-terminal at 115200 baud, next to the wire-time floor of one find → select →
 *     read exchange (bytes × 10 bits / 115200). Measured twice: with the virtual reader pacing both
 *     directions at the line rate (what a real UART does) and unpaced (a bare pty, faster than any
 *     wire). The placed → presented time includes waiting for the next poll (--poll-ms).
 */
const { values } = parseArgs({
  options: {
    presentations: { type: "string", default: "20" },
    "poll-ms": { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
});
const PRESENTATIONS = Number(values.presentations);
const POLL_MS = Number(values["poll-ms"]);
const BAUD = 115200;
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function decodeRate(frames: readonly Uint8Array[], seconds: number): { framesPerSecond: number; megabytesPerSecond: number } {
  const chunk = 4096;
  const stream = Buffer.concat(Array.from({ length: Math.ceil(65536 / frames.reduce((n, f) => n + f.length, 0)) + 1 }, () => Buffer.concat(frames)));
  const decoder = new FrameDecoder();
  let decoded = 0;
  let bytes = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    for (let at = 0; at < stream.length; at += chunk) {
      for (const item of decoder.push(stream.subarray(at, at + chunk))) if (item.kind === "frame") decoded++;
    }
    bytes += stream.length;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { framesPerSecond: decoded / elapsed, megabytesPerSecond: bytes / elapsed / 1e6 };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface EndToEnd {
  readonly paced: boolean;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly meanMs: number;
  /** find → decoded card inside the driver, excluding the wait for the poll. */
  readonly readP50Ms: number;
}

async function endToEnd(paced: boolean): Promise<EndToEnd> {
  const dir = makePtyDir();
  const pair = await openPtyPair({ dir });
  const reader = new VirtualReader();
  const transport = attachVirtualReaderToPort(reader, { path: pair.readerPath, paceAtBaudRate: paced });
  await transport.ready;
  const driver = new IdCardReader({ path: pair.hostPath, binding: SerialPort.binding, pollIntervalMs: POLL_MS, samStatusIntervalMs: 60_000, removalMisses: 1 });
  const deck = virtualCardDeck("bench", 8);
  const totals: number[] = [];
  const reads: number[] = [];
  try {
    await new Promise<void>((resolve) => {
      driver.once("connected", () => resolve());
      driver.start();
    });
    for (let i = 0; i < PRESENTATIONS; i++) {
      const card = deck[i % deck.length];
      if (card === undefined) throw new Error("empty deck");
      const presented = new Promise<CardPresentation>((resolve) => driver.once("presented", resolve));
      const placedAt = performance.now();
      reader.placeCard(card);
      const presentation = await presented;
      totals.push(performance.now() - placedAt);
      reads.push(presentation.readMs);
      const removed = new Promise<void>((resolve) => driver.once("removed", () => resolve()));
      reader.removeCard();
      await removed;
    }
  } finally {
    await driver.stop();
    await transport.close();
    await pair.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...totals].sort((a, b) => a - b);
  const readSorted = [...reads].sort((a, b) => a - b);
  const ms = (n: number): number => Number(n.toFixed(2));
  return { paced, p50Ms: ms(percentile(sorted, 50)), p95Ms: ms(percentile(sorted, 95)), meanMs: ms(totals.reduce((a, b) => a + b, 0) / totals.length), readP50Ms: ms(percentile(readSorted, 50)) };
}

const card = virtualCardDeck("bench", 1)[0];
if (card === undefined) throw new Error("empty deck");
const small = [encodeCommand({ kind: "find_card" }), encodeResponse(0x9f, new Uint8Array(4))];
const readBase = [encodeResponse(0x90, baseMessageData(new Uint8Array(256).fill(0x20), card.photo))];
log("decoding small frames for 1 s");
const smallRate = decodeRate(small, 1);
log("decoding read-base replies for 1 s");
const baseRate = decodeRate(readBase, 1);

// One presentation on the wire: find, select, read requests (10 bytes each) and their replies.
const exchangeBytes = 3 * 10 + 15 + 19 + 1295;
const floorMs = (exchangeBytes * 10 * 1000) / BAUD;
log(`end to end through a socat pty, ${PRESENTATIONS} presentations, poll every ${POLL_MS} ms (paced at ${BAUD} baud)`);
const paced = await endToEnd(true);
log("the same, unpaced");
const unpaced = await endToEnd(false);

const rows: [string, string][] = [
  ["small frames decoded / s", smallRate.framesPerSecond.toFixed(0)],
  ["read-base replies decoded / s", `${baseRate.framesPerSecond.toFixed(0)} (${baseRate.megabytesPerSecond.toFixed(1)} MB/s)`],
  [`wire-time floor, ${exchangeBytes} bytes at ${BAUD} 8N1`, `${floorMs.toFixed(1)} ms`],
  ["placed → presented, paced pty, p50 / p95", `${paced.p50Ms.toFixed(1)} / ${paced.p95Ms.toFixed(1)} ms`],
  ["  of which find → card decoded (p50)", `${paced.readP50Ms.toFixed(1)} ms`],
  ["  ratio p50 / floor", (paced.p50Ms / floorMs).toFixed(2)],
  ["placed → presented, bare pty, p50 / p95", `${unpaced.p50Ms.toFixed(1)} / ${unpaced.p95Ms.toFixed(1)} ms`],
  ["  ratio p50 / floor", (unpaced.p50Ms / floorMs).toFixed(2)],
];
const width = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({
      decode: { smallFramesPerSecond: Math.round(smallRate.framesPerSecond), readBaseFramesPerSecond: Math.round(baseRate.framesPerSecond), readBaseMegabytesPerSecond: Number(baseRate.megabytesPerSecond.toFixed(2)) },
      endToEnd: {
        baudRate: BAUD,
        pollIntervalMs: POLL_MS,
        presentations: PRESENTATIONS,
        exchangeBytes,
        wireFloorMs: Number(floorMs.toFixed(2)),
        paced: { ...paced, ratioToFloor: Number((paced.p50Ms / floorMs).toFixed(3)) },
        unpaced: { ...unpaced, ratioToFloor: Number((unpaced.p50Ms / floorMs).toFixed(3)) },
      },
    })}\n`,
  );
}
