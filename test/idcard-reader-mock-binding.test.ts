/*
 * The driver against the virtual reader through serialport's mock binding, in-process. These tests
 * cross parts (device driver + simulator reader); they sit next to the driver because test/ is
 * owned elsewhere today. The device's production code never imports the simulator.
 */
import { afterEach, describe, expect, it } from "vitest";
import { virtualCardDeck, type VirtualCard } from "../simulator/idcard/virtual-cards.js";
import { virtualReaderMockBinding } from "../simulator/idcard/mock-binding-transport.js";
import { VirtualReader, type VirtualReaderOptions } from "../simulator/idcard/virtual-reader.js";
import { IdCardReader, type IdCardReaderEvents, type IdCardReaderOptions } from "../device/idcard/id-card-reader.js";

const deck = virtualCardDeck("driver-tests", 8);
function cardOf(index: number): VirtualCard {
  const card = deck[index];
  if (card === undefined) throw new Error("deck too small");
  return card;
}

let counter = 0;
const running: IdCardReader[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

interface Rig {
  readonly reader: VirtualReader;
  readonly driver: IdCardReader;
  readonly port: ReturnType<typeof virtualReaderMockBinding>;
  readonly events: { kind: keyof IdCardReaderEvents; detail: unknown }[];
}

function rig(readerOptions: VirtualReaderOptions = {}, driverOptions: Partial<IdCardReaderOptions> = {}): Rig {
  const reader = new VirtualReader(readerOptions);
  const path = `/dev/virtual-reader-${process.pid}-${counter++}`;
  const port = virtualReaderMockBinding(reader, path);
  const driver = new IdCardReader({
    path,
    binding: port.binding,
    pollIntervalMs: 10,
    samStatusIntervalMs: 50,
    reconnectDelayMs: 10,
    maxReconnectDelayMs: 40,
    timeoutsMs: { find_card: 60, select_card: 60, read_base: 120, sam_status: 60, read_sam_id: 60 },
    ...driverOptions,
  });
  const events: Rig["events"] = [];
  for (const kind of ["presented", "removed", "rejected", "read_failed", "reader_error", "connected", "disconnected"] as const) {
    driver.on(kind, (detail: unknown) => events.push({ kind, detail }));
  }
  running.push(driver);
  return { reader, driver, port, events };
}

async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const kinds = (r: Rig): string[] => r.events.map((e) => e.kind);
const count = (r: Rig, kind: keyof IdCardReaderEvents): number => r.events.filter((e) => e.kind === kind).length;

async function polls(r: Rig, n: number): Promise<void> {
  const seen = r.reader.log.length;
  await until(() => r.reader.log.filter((entry, i) => i >= seen && entry.request.kind === "find_card").length >= n, `${n} polls`);
}

describe("IdCardReader over the mock binding", () => {
  it("connects, reads the SAM id and reports health", async () => {
    const r = rig();
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    expect(r.driver.health()).toMatchObject({ connected: true, samId: { text: "05.01-20130766-0123456789-0987654321" }, samStatus: { code: "success" }, failures: 0, baudRate: 115200 });
    expect(r.reader.log.slice(0, 2).map((e) => e.request.kind)).toEqual(["sam_status", "read_sam_id"]);
  });

  it("emits one presented per presentation while find keeps answering 9F, then removed", async () => {
    const r = rig({ findAfterRead: "found" });
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "presented") === 1, "presented");
    await polls(r, 5);
    expect(count(r, "presented")).toBe(1);
    expect(r.driver.health().reads).toBeGreaterThanOrEqual(5);
    const presented = r.events.find((e) => e.kind === "presented")?.detail;
    expect(presented).toMatchObject({ card: { idNumber: cardOf(0).card.idNumber, cardType: "resident_id" }, samId: "05.01-20130766-0123456789-0987654321" });
    r.reader.removeCard();
    await until(() => count(r, "removed") === 1, "removed");
    expect(r.events.find((e) => e.kind === "removed")?.detail).toMatchObject({ reason: "lifted" });
    r.reader.placeCard(cardOf(1));
    await until(() => count(r, "presented") === 2, "second presentation");
    expect(kinds(r).filter((k) => k !== "connected")).toEqual(["presented", "removed", "presented"]);
  });

  it("emits one presented per presentation when find answers 80 after a read until the card is re-placed", async () => {
    const r = rig({ findAfterRead: "not_found_until_replaced" });
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    r.reader.placeCard(cardOf(2));
    await until(() => count(r, "presented") === 1, "presented");
    await polls(r, 6);
    expect(count(r, "presented")).toBe(1);
    r.reader.placeCard(cardOf(2));
    await until(() => count(r, "presented") === 2, "re-placed");
  });

  it("presents every card type from the deck", async () => {
    const r = rig();
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    for (let i = 0; i < 4; i++) {
      r.reader.placeCard(cardOf(i));
      await until(() => count(r, "presented") === i + 1, `card ${i}`);
    }
    const types = r.events.filter((e) => e.kind === "presented").map((e) => (e.detail as { card: { cardType: string } }).card.cardType);
    expect(types).toEqual(["resident_id", "hk_mo_tw_residence_permit", "foreign_permanent_resident", "foreign_permanent_resident_2023"]);
    expect(kinds(r).filter((k) => k === "removed")).toHaveLength(3);
  });

  it("reads through a corrupted checksum, a truncated reply and noise bytes by retrying, and counts the line errors", async () => {
    const r = rig();
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    r.reader.injectFault({ kind: "corrupt_checksum", on: "read_base" });
    r.reader.injectFault({ kind: "truncate", on: "select_card" });
    r.reader.injectFault({ kind: "noise", bytes: Uint8Array.of(0x13, 0xaa, 0x00, 0x96), on: "find_card", times: 3 });
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "presented") === 1, "presented despite faults");
    const requests = r.reader.log.map((e) => e.request.kind);
    expect(requests.filter((k) => k === "read_base").length).toBeGreaterThanOrEqual(2);
    expect(r.driver.health().frameErrors).toBeGreaterThanOrEqual(3);
    expect(count(r, "read_failed")).toBe(0);
  });

  it("waits out a slow reply within the timeout and retries a reply that comes too late", async () => {
    const r = rig();
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    r.reader.injectFault({ kind: "delay", ms: 30, on: "read_base" });
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "presented") === 1, "slow read");
    r.reader.removeCard();
    await until(() => count(r, "removed") === 1, "removed");
    r.reader.injectFault({ kind: "delay", ms: 200, on: "read_base" });
    const before = r.reader.log.filter((e) => e.request.kind === "read_base").length;
    r.reader.placeCard(cardOf(1));
    await until(() => count(r, "presented") === 2, "late reply retried");
    expect(r.reader.log.filter((e) => e.request.kind === "read_base").length - before).toBeGreaterThanOrEqual(2);
  });

  it("reports a reader that stops answering as timeouts, reopens the port, and recovers", async () => {
    const r = rig({}, { retries: 1 });
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    r.reader.injectFault({ kind: "no_response", on: "find_card", times: 6 });
    await until(() => count(r, "reader_error") >= 3, "three reader errors");
    const error = r.events.find((e) => e.kind === "reader_error")?.detail;
    expect(error).toMatchObject({ code: "timeout", context: { command: "find_card", attempts: 2 } });
    expect(r.driver.health().lastError).not.toBeNull();
    await until(() => r.port.opens >= 2, "port reopened");
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "presented") === 1, "presented after recovery");
  });

  it("reports a card removed mid-read as a failed read, never as presented", async () => {
    const r = rig();
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    r.reader.injectFault({ kind: "remove_card_mid_read", on: "read_base" });
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "read_failed") === 1, "read failed");
    await polls(r, 3);
    expect(r.events.find((e) => e.kind === "read_failed")?.detail).toMatchObject({ code: "read_failed", context: { sw3: 0x41, samStatus: "card_read_failed" } });
    expect(count(r, "presented")).toBe(0);
    expect(r.driver.health().failures).toBeGreaterThanOrEqual(1);
  });

  it("reports SAM failure codes and an unauthorised SAM in health and events", async () => {
    const r = rig();
    r.reader.setSam("not_authorised");
    r.driver.start();
    await until(() => r.driver.health().samStatus?.code === "sam_not_authorised", "unauthorised SAM seen");
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "reader_error") >= 1, "reader error");
    expect(r.events.find((e) => e.kind === "reader_error")?.detail).toMatchObject({ code: "sam_failure", context: { sw3: 0x66 } });
    expect(count(r, "presented")).toBe(0);
    r.reader.setSam("ok");
    await until(() => count(r, "presented") === 1, "presented once the SAM works");
    r.reader.injectFault({ kind: "status", sw3: 0x60, on: "find_card" });
    await until(() => r.events.some((e) => e.kind === "reader_error" && (e.detail as { context: { sw3?: number } }).context.sw3 === 0x60), "self-test failure");
  });

  it("resets a SAM whose self-test failed and reads again once it recovers", async () => {
    const r = rig();
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    r.reader.setSam("self_test_failed");
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "presented") === 1, "presented after the reset");
    expect(r.events.find((e) => e.kind === "reader_error")?.detail).toMatchObject({ code: "sam_failure", context: { samStatus: "sam_self_test_failed" } });
    expect(r.reader.log.map((e) => e.request.kind)).toContain("reset_sam");
  });

  it("rejects a card whose ID number fails its check, once per presentation", async () => {
    const r = rig();
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    const good = cardOf(0);
    const last = good.card.idNumber.at(-1) === "1" ? "2" : "1";
    const forged: VirtualCard = { ...good, card: { ...good.card, idNumber: good.card.idNumber.slice(0, 17) + last } };
    r.reader.placeCard(forged);
    await until(() => count(r, "rejected") === 1, "rejected");
    await polls(r, 4);
    expect(count(r, "rejected")).toBe(1);
    expect(count(r, "presented")).toBe(0);
    const error = r.events.find((e) => e.kind === "rejected")?.detail as { code: string; message: string; card?: { idNumber: string } };
    expect(error.code).toBe("card_rejected");
    expect(error.message).not.toContain(forged.card.idNumber);
    expect(error.card?.idNumber).toBe(forged.card.idNumber);
    expect(r.driver.health().rejections).toBe(1);
  });

  it("survives an unplug: reports the card removed and the port lost, reconnects on replug and presents again", async () => {
    const r = rig();
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "presented") === 1, "presented");
    r.port.unplug();
    await until(() => count(r, "disconnected") === 1, "disconnected");
    await until(() => count(r, "removed") === 1, "removed on link loss");
    expect(r.events.find((e) => e.kind === "removed")?.detail).toMatchObject({ reason: "link_lost" });
    expect(r.driver.health()).toMatchObject({ connected: false, lastError: { code: expect.stringMatching(/port_lost|port_open_failed/u) as unknown } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.driver.health().connected).toBe(false);
    r.port.replug();
    await until(() => count(r, "presented") === 2, "presented after replug");
    expect(r.driver.health()).toMatchObject({ connected: true, reconnects: 1 });
  });

  it("reads the appended address when asked, once per presentation", async () => {
    const r = rig({}, { readNewestAddress: true });
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    r.reader.placeCard({ ...cardOf(0), newestAddress: "上海市黄浦区人民路1号" });
    await until(() => count(r, "presented") === 1, "presented");
    expect(r.events.find((e) => e.kind === "presented")?.detail).toMatchObject({ newestAddress: "上海市黄浦区人民路1号" });
    await polls(r, 3);
    expect(r.reader.log.filter((e) => e.request.kind === "read_newest_address")).toHaveLength(1);
    r.reader.placeCard({ ...cardOf(1), newestAddress: null });
    await until(() => count(r, "presented") === 2, "second card");
    expect(r.events.filter((e) => e.kind === "presented")[1]?.detail).toMatchObject({ newestAddress: null });
  });

  it("reads with fingerprint when configured and hands the fingerprint over opaque", async () => {
    const r = rig({}, { readFingerprint: true });
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    const withPrint: VirtualCard = { ...cardOf(0), fingerprint: Uint8Array.from({ length: 1024 }, (_, i) => i % 251) };
    r.reader.placeCard(withPrint);
    await until(() => count(r, "presented") === 1, "presented");
    expect(r.reader.log.map((e) => e.request.kind)).toContain("read_base_with_fingerprint");
    expect(r.events.find((e) => e.kind === "presented")?.detail).toMatchObject({ fingerprint: withPrint.fingerprint, photo: withPrint.photo });
  });

  it("negotiates a lower baud rate and falls back when the reader does not follow", async () => {
    const r = rig({}, { negotiateBaudRate: 57600 });
    r.driver.start();
    await until(() => r.driver.health().connected, "connected");
    expect(r.reader.log.map((e) => e.request)).toContainEqual({ kind: "set_baud_rate", baudRate: 57600 });
    expect(r.reader.baudRate).toBe(57600);
    expect(r.driver.health().baudRate).toBe(57600);
    r.reader.placeCard(cardOf(0));
    await until(() => count(r, "presented") === 1, "presented at 57600");

    const refusing = rig({}, { negotiateBaudRate: 38400 });
    refusing.reader.injectFault({ kind: "status", sw3: 0x21, on: "set_baud_rate" });
    refusing.driver.start();
    await until(() => refusing.driver.health().connected, "connected after fallback");
    expect(refusing.reader.baudRate).toBe(115200);
    expect(refusing.driver.health().baudRate).toBe(115200);
    refusing.reader.placeCard(cardOf(1));
    await until(() => count(refusing, "presented") === 1, "presented at 115200");
  });
});
