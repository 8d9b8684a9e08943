/*
 * The driver against the virtual reader on a real pseudo-terminal pair made by socat: the driver
 * opens a tty through serialport's platform binding exactly as it opens /dev/ttyUSB0. Unplug is
 * killing socat (both ends vanish, reads fail with EIO); replug is a new socat on the same links.
 * Every test kills the socat processes it started (afterEach), and checks they are gone.
 */
import { rmSync } from "node:fs";
import { SerialPort } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import { makePtyDir, openPtyPair, type PtyPair } from "../simulator/idcard/pty-pair.js";
import { attachVirtualReaderToPort, type ReaderPortTransport } from "../simulator/idcard/serial-port-transport.js";
import { virtualCardDeck, type VirtualCard } from "../simulator/idcard/virtual-cards.js";
import { VirtualReader, type ReaderFault } from "../simulator/idcard/virtual-reader.js";
import { IdCardReader, type IdCardReaderEvents } from "../device/idcard/id-card-reader.js";

const deck = virtualCardDeck("pty-tests", 4);
function cardOf(index: number): VirtualCard {
  const card = deck[index];
  if (card === undefined) throw new Error("deck too small");
  return card;
}

const cleanups: (() => Promise<void>)[] = [];
const pids: number[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const pid of pids.splice(0)) expect(() => process.kill(pid, 0), `socat ${pid} still running`).toThrow();
});

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface PtyRig {
  readonly reader: VirtualReader;
  readonly driver: IdCardReader;
  readonly events: { kind: keyof IdCardReaderEvents; detail: unknown }[];
  pair: PtyPair;
  transport: ReaderPortTransport;
  readonly dir: string;
}

async function plug(dir: string, reader: VirtualReader): Promise<{ pair: PtyPair; transport: ReaderPortTransport }> {
  const pair = await openPtyPair({ dir });
  pids.push(pair.pid);
  const transport = attachVirtualReaderToPort(reader, { path: pair.readerPath });
  await transport.ready;
  return { pair, transport };
}

async function ptyRig(): Promise<PtyRig> {
  const dir = makePtyDir();
  const reader = new VirtualReader();
  const plugged = await plug(dir, reader);
  const driver = new IdCardReader({
    path: plugged.pair.hostPath,
    binding: SerialPort.binding,
    pollIntervalMs: 20,
    samStatusIntervalMs: 200,
    reconnectDelayMs: 20,
    maxReconnectDelayMs: 100,
    timeoutsMs: { find_card: 150, select_card: 150, read_base: 400, sam_status: 150, read_sam_id: 150 },
  });
  const r: PtyRig = { reader, driver, events: [], dir, ...plugged };
  for (const kind of ["presented", "removed", "rejected", "read_failed", "reader_error", "connected", "disconnected"] as const) {
    driver.on(kind, (detail: unknown) => r.events.push({ kind, detail }));
  }
  cleanups.push(async () => {
    await driver.stop();
    await r.transport.close();
    await r.pair.close();
    rmSync(dir, { recursive: true, force: true });
  });
  driver.start();
  await until(() => driver.health().connected, "driver connected over the pty");
  return r;
}

const count = (r: PtyRig, kind: keyof IdCardReaderEvents): number => r.events.filter((e) => e.kind === kind).length;

describe("IdCardReader over a socat pseudo-terminal", () => {
  it("presents a card once, reports its removal, and reports health", async () => {
    const r = await ptyRig();
    expect(r.driver.health()).toMatchObject({ connected: true, samId: { text: "05.01-20130766-0123456789-0987654321" } });
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "presented") === 1, "presented");
    const finds = r.reader.log.length;
    await until(() => r.reader.log.length >= finds + 12, "more polls");
    expect(count(r, "presented")).toBe(1);
    expect(r.events.find((e) => e.kind === "presented")?.detail).toMatchObject({ card: { idNumber: cardOf(0).card.idNumber } });
    r.reader.removeCard();
    await until(() => count(r, "removed") === 1, "removed");
  });

  it("recovers from every injected line and reader fault and reports each", async () => {
    const r = await ptyRig();
    const faults: [ReaderFault, keyof IdCardReaderEvents | null][] = [
      [{ kind: "corrupt_checksum", on: "read_base" }, null],
      [{ kind: "truncate", on: "read_base" }, null],
      [{ kind: "noise", bytes: Uint8Array.of(0xaa, 0xaa, 0x00, 0x96, 0x69), on: "select_card" }, null],
      [{ kind: "delay", ms: 600, on: "read_base" }, null],
      [{ kind: "remove_card_mid_read", on: "read_base" }, "read_failed"],
      [{ kind: "status", sw3: 0x60, on: "find_card" }, "reader_error"],
      [{ kind: "status", sw3: 0x66, on: "find_card" }, "reader_error"],
      [{ kind: "no_response", on: "find_card", times: 3 }, "reader_error"],
    ];
    for (const [index, [fault, reported]] of faults.entries()) {
      const presentedBefore = count(r, "presented");
      const reportedBefore = reported === null ? 0 : count(r, reported);
      r.reader.injectFault(fault);
      r.reader.placeCard(cardOf(index % 4));
      if (reported !== null) await until(() => count(r, reported) > reportedBefore, `${fault.kind} reported`);
      if (fault.kind === "remove_card_mid_read") r.reader.placeCard(cardOf(index % 4));
      await until(() => count(r, "presented") === presentedBefore + 1, `presented after ${fault.kind}`);
      r.reader.removeCard();
      await until(() => count(r, "removed") === presentedBefore + 1, `removed after ${fault.kind}`);
    }
    expect(r.driver.health().frameErrors).toBeGreaterThanOrEqual(3);
    const readerErrors = r.events.filter((e) => e.kind === "reader_error").map((e) => e.detail as { code: string; context: { sw3?: number } });
    expect(readerErrors.map((e) => `${e.code}:${e.context.sw3 ?? "-"}`)).toEqual(["sam_failure:96", "sam_failure:102", "timeout:-"]);
  });

  it("reports an unplug (socat killed) and recovers on replug at the same path", async () => {
    const r = await ptyRig();
    r.reader.placeCard(cardOf(1));
    await until(() => count(r, "presented") === 1, "presented");
    await r.transport.close();
    await r.pair.close();
    await until(() => count(r, "disconnected") === 1, "disconnected");
    await until(() => count(r, "removed") === 1, "removed on unplug");
    expect(r.events.find((e) => e.kind === "removed")?.detail).toMatchObject({ reason: "link_lost" });
    expect(r.driver.health().connected).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(r.driver.health().failures).toBeGreaterThanOrEqual(2);
    const replugged = await plug(r.dir, r.reader);
    r.pair = replugged.pair;
    r.transport = replugged.transport;
    await until(() => count(r, "presented") === 2, "presented after replug");
    expect(r.driver.health()).toMatchObject({ connected: true, reconnects: 1 });
  });
});
