import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import type {
  AlertFilter,
  BilledItemFilter,
  EventFilter,
  EventRecord,
  EventStoreOutcome,
  GatewayStore,
  IngestBatch,
  Page,
  QuarantineFilter,
  QuarantineRecord,
} from "./gateway-store.js";
import { StoreError } from "./store-error.js";
import { describeProvisioningStoreContract } from "./provisioning-contract.js";
import { describeAlertCaseStoreContract } from "./alert-case-contract.js";
import { alert, billedItem, event, eventId, newestFirst, quarantine, registration } from "./store-fixtures.js";

/**
 * The behaviour every GatewayStore implementation must have, as one suite that each implementation's
 * test file runs against its own database. Expected results are computed from the fixtures (a filter
 * applied in JS, a sort), never written out, so the suite checks the rule rather than one example.
 */

export interface StoreUnderTest {
  readonly store: GatewayStore;
  /** Closes the store (and any peer) and removes what the test created. */
  readonly cleanup: () => Promise<void>;
  /** Opens a second store over the same database, as a second gateway would. */
  readonly openPeer?: (() => Promise<GatewayStore>) | undefined;
}

export interface ContractOptions {
  /** Run the tests in which two stores write the same database at once (needs openPeer). */
  readonly concurrentPeers: boolean;
}

const EMPTY_BATCH: IngestBatch = { events: [], quarantine: [], alerts: [] };

function batch(fields: Partial<IngestBatch>): IngestBatch {
  return { ...EMPTY_BATCH, ...fields };
}

function results(outcomes: readonly EventStoreOutcome[]): string[] {
  return outcomes.map((outcome) => outcome.result);
}

function detailOf(outcome: EventStoreOutcome | undefined): string {
  return outcome !== undefined && "detail" in outcome ? outcome.detail : "";
}

/** Follows cursors to the end; fails rather than loops if a store keeps returning cursors. */
async function walk<T>(fetch: (cursor: string | undefined) => Promise<Page<T>>, maxPages = 500): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await fetch(cursor);
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
  }
  throw new Error(`pagination did not end within ${maxPages} pages`);
}

function matchesEvent(filter: EventFilter, e: EventRecord): boolean {
  return (
    (filter.site === undefined || e.site === filter.site) &&
    (filter.box === undefined || e.box === filter.box) &&
    (filter.kind === undefined || e.kind === filter.kind) &&
    (filter.outcome === undefined || e.outcome === filter.outcome) &&
    (filter.subjectRef === undefined || e.subjectRef === filter.subjectRef) &&
    (filter.from === undefined || e.occurredAt >= filter.from) &&
    (filter.to === undefined || e.occurredAt < filter.to)
  );
}

function matchesQuarantine(filter: QuarantineFilter, q: QuarantineRecord): boolean {
  return (
    (filter.site === undefined || q.site === filter.site) &&
    (filter.box === undefined || q.box === filter.box) &&
    (filter.reason === undefined || q.reason === filter.reason) &&
    (filter.step === undefined || q.step === filter.step) &&
    (filter.from === undefined || q.receivedAt >= filter.from) &&
    (filter.to === undefined || q.receivedAt < filter.to)
  );
}

const SUBJECTS = ["a".repeat(64), "b".repeat(64), null] as const;
const BOXES = [
  { box: "box-1", site: "site-a" },
  { box: "box-2", site: "site-a" },
  { box: "box-3", site: "site-b" },
] as const;

/**
 * 60 events over two sites and three boxes, with every third pair sharing an occurredAt so that the
 * id tie-break matters, and kinds, outcomes and subjects cycling at different periods.
 */
function eventDataset(): EventRecord[] {
  return Array.from({ length: 60 }, (_, n) => {
    const where = BOXES[n % 3] ?? BOXES[0];
    return event({
      n: n + 1,
      box: where.box,
      site: where.site,
      seq: Math.floor(n / 3) + 1,
      kind: n % 4 === 0 ? "dialysis.check_out" : n % 5 === 0 ? "ward.bedside_check" : "dialysis.check_in",
      outcome: n % 7 === 0 ? "face_mismatch" : n % 11 === 0 ? "absent" : "verified",
      occurredAt: 1_700_000_000_000 + Math.floor(n / 2) * 60_000,
      subjectRef: SUBJECTS[n % 3] ?? null,
    });
  });
}

export function describeGatewayStoreContract(
  name: string,
  open: () => Promise<StoreUnderTest>,
  options: ContractOptions = { concurrentPeers: false },
): void {
  describe(`${name}: GatewayStore contract`, () => {
    let subject: StoreUnderTest;
    let store: GatewayStore;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
      await store.migrate();
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    async function registerBoxes(): Promise<void> {
      for (const { box, site } of BOXES) await store.registerDevice(registration(box, { site }));
    }

    describe("migrations", () => {
      it("migrating again is a no-op that keeps the data", async () => {
        await registerBoxes();
        await store.commitBatch(batch({ events: [event({ n: 1, box: "box-1", seq: 1 })] }));
        await store.migrate();
        expect(await store.countEvents({})).toBe(1);
        expect(await store.listDevices({})).toHaveLength(BOXES.length);
      });
    });

    describe("devices", () => {
      it("registers a new box enabled, with no known state yet", async () => {
        const before = Date.now();
        const outcome = await store.registerDevice(registration("box-1"));
        const after = Date.now();
        expect(outcome.result).toBe("created");
        expect(outcome.device).toMatchObject({ ...registration("box-1"), enabled: true, state: null, stateChangedAt: null, lastStatus: null });
        expect(typeof outcome.device.registeredAt).toBe("number");
        expect(outcome.device.registeredAt).toBeGreaterThanOrEqual(before);
        expect(outcome.device.registeredAt).toBeLessThanOrEqual(after);
        expect(await store.getDevice("box-1")).toStrictEqual(outcome.device);
      });

      it("registering the same box with the same key again changes nothing", async () => {
        const first = await store.registerDevice(registration("box-1"));
        const again = await store.registerDevice(registration("box-1"));
        expect(again).toStrictEqual({ result: "unchanged", device: first.device });
      });

      it("a different key for a registered box is a conflict that keeps the registered key", async () => {
        const first = await store.registerDevice(registration("box-1"));
        const other = registration("box-1", { keySeed: "2" });
        const outcome = await store.registerDevice(other);
        expect(outcome.result).toBe("conflict");
        expect(outcome.device).toStrictEqual(first.device);
        expect(outcome.result === "conflict" ? outcome.detail : "").toContain("publicKey");
        expect((await store.getDevice("box-1"))?.publicKey).toBe(first.device.publicKey);
      });

      it("a different site under the same key is a conflict too (the site scopes the box's topics)", async () => {
        await store.registerDevice(registration("box-1"));
        const outcome = await store.registerDevice(registration("box-1", { site: "site-b" }));
        expect(outcome.result).toBe("conflict");
        expect(outcome.result === "conflict" ? outcome.detail : "").toContain("site");
        expect((await store.getDevice("box-1"))?.site).toBe("site-a");
      });

      it("replaceKey replaces the key but keeps the box disabled and its registration time", async () => {
        const first = await store.registerDevice(registration("box-1"));
        await store.setDeviceEnabled("box-1", false);
        const other = registration("box-1", { keySeed: "2", location: "station-9" });
        const outcome = await store.registerDevice(other, { replaceKey: true });
        expect(outcome.result).toBe("key_replaced");
        expect(outcome.device).toMatchObject({ ...other, enabled: false, registeredAt: first.device.registeredAt });
        expect(await store.getDevice("box-1")).toStrictEqual(outcome.device);
      });

      it("replacing a key keeps the events the box stored under its old key", async () => {
        await store.registerDevice(registration("box-1"));
        const e = event({ n: 1, box: "box-1", seq: 1 });
        await store.commitBatch(batch({ events: [e] }));
        const outcome = await store.registerDevice(registration("box-1", { keySeed: "2" }), { replaceKey: true });
        expect(outcome.result).toBe("key_replaced");
        expect(await store.getEvent(e.id)).toStrictEqual(e);
      });

      it("replaceKey with the registered key is still unchanged", async () => {
        await store.registerDevice(registration("box-1"));
        const outcome = await store.registerDevice(registration("box-1"), { replaceKey: true });
        expect(outcome.result).toBe("unchanged");
      });

      it("enables and disables a box, and reports an unknown box as undefined", async () => {
        await store.registerDevice(registration("box-1"));
        expect((await store.setDeviceEnabled("box-1", false))?.enabled).toBe(false);
        expect((await store.getDevice("box-1"))?.enabled).toBe(false);
        expect((await store.setDeviceEnabled("box-1", true))?.enabled).toBe(true);
        expect(await store.setDeviceEnabled("box-unknown", false)).toBeUndefined();
        expect(await store.getDevice("box-unknown")).toBeUndefined();
      });

      it("lists devices by box, optionally of one site", async () => {
        for (const { box, site } of [...BOXES].reverse()) await store.registerDevice(registration(box, { site }));
        const all = await store.listDevices({});
        expect(all.map((d) => d.box)).toEqual(BOXES.map((b) => b.box).sort());
        const siteA = await store.listDevices({ site: "site-a" });
        expect(siteA.map((d) => d.box)).toEqual(
          BOXES.filter((b) => b.site === "site-a")
            .map((b) => b.box)
            .sort(),
        );
      });
    });

    describe("device status", () => {
      const status = (state: "online" | "offline", reason: "connected" | "shutdown" | "last_will", at: number) => ({
        box: "box-1",
        state,
        reason,
        at,
        receivedAt: at + 5,
        body: JSON.stringify({ state, reason, at }),
      });

      it("records the newest status as the box's state", async () => {
        await store.registerDevice(registration("box-1"));
        const online = status("online", "connected", 10_000);
        await store.recordStatus(online);
        expect(await store.getDevice("box-1")).toMatchObject({ state: "online", stateChangedAt: 10_000, lastStatus: online.body });
      });

      it("a last will delivered after the box came back does not mark it offline, but is kept in history", async () => {
        await store.registerDevice(registration("box-1"));
        const online = status("online", "connected", 10_000);
        const lateWill = status("offline", "last_will", 9_000);
        await store.recordStatus(online);
        await store.recordStatus(lateWill);
        expect(await store.getDevice("box-1")).toMatchObject({ state: "online", stateChangedAt: 10_000, lastStatus: online.body });
        expect(await store.statusHistory("box-1", 10)).toStrictEqual([online, lateWill]);
      });

      it("a status at the same time as the current one replaces it", async () => {
        await store.registerDevice(registration("box-1"));
        await store.recordStatus(status("online", "connected", 10_000));
        await store.recordStatus(status("offline", "shutdown", 10_000));
        expect(await store.getDevice("box-1")).toMatchObject({ state: "offline", stateChangedAt: 10_000 });
      });

      it("lists history newest first, limited", async () => {
        await store.registerDevice(registration("box-1"));
        const statuses = [3, 1, 4, 2].map((t) => status(t % 2 === 0 ? "offline" : "online", "connected", t * 1000));
        for (const s of statuses) await store.recordStatus(s);
        const newest = [...statuses].sort((a, b) => b.at - a.at);
        expect(await store.statusHistory("box-1", 2)).toStrictEqual(newest.slice(0, 2));
        expect(await store.statusHistory("box-1", 10)).toStrictEqual(newest);
      });

      it("keeps the history of a box that is not registered, without inventing a device", async () => {
        const s = status("online", "connected", 1000);
        await store.recordStatus(s);
        expect(await store.statusHistory("box-1", 10)).toStrictEqual([s]);
        expect(await store.getDevice("box-1")).toBeUndefined();
      });
    });

    describe("storing events", () => {
      beforeEach(registerBoxes);

      it("stores a new event and reads it back exactly, numbers as numbers", async () => {
        const e = event({ n: 1, box: "box-1", seq: 1, subjectRef: "c".repeat(64) });
        const result = await store.commitBatch(batch({ events: [e] }));
        expect(result).toStrictEqual({ events: [{ result: "stored" }], raisedAlerts: [] });
        expect(await store.getEvent(e.id)).toStrictEqual(e);
        expect(await store.getEvent(eventId(999))).toBeUndefined();
      });

      it("the same event delivered again is a duplicate and stored once", async () => {
        const e = event({ n: 1, box: "box-1", seq: 1 });
        await store.commitBatch(batch({ events: [e] }));
        const again = await store.commitBatch(batch({ events: [e] }));
        expect(results(again.events)).toEqual(["duplicate"]);
        expect(await store.countEvents({})).toBe(1);
      });

      it("the same id with a different body is a replay conflict that names the id and keeps the original", async () => {
        const original = event({ n: 1, box: "box-1", seq: 1 });
        const replay = event({ n: 1, box: "box-1", seq: 1, variant: "tampered" });
        await store.commitBatch(batch({ events: [original] }));
        const result = await store.commitBatch(batch({ events: [replay] }));
        expect(results(result.events)).toEqual(["replay_conflict"]);
        expect(detailOf(result.events[0])).toContain(original.id);
        expect(await store.getEvent(original.id)).toStrictEqual(original);
      });

      it("a new id on a sequence number the box already used is sequence reuse naming the other event", async () => {
        const first = event({ n: 1, box: "box-1", seq: 7 });
        const reuse = event({ n: 2, box: "box-1", seq: 7 });
        await store.commitBatch(batch({ events: [first] }));
        const result = await store.commitBatch(batch({ events: [reuse] }));
        expect(results(result.events)).toEqual(["sequence_reuse"]);
        expect(detailOf(result.events[0])).toContain(first.id);
        expect(await store.getEvent(reuse.id)).toBeUndefined();
      });

      it("classifies duplicates, replays and sequence reuse within one batch, in input order", async () => {
        const a = event({ n: 1, box: "box-1", seq: 1 });
        const replayOfA = event({ n: 1, box: "box-1", seq: 1, variant: "tampered" });
        const reuseOfA = event({ n: 2, box: "box-1", seq: 1 });
        const b = event({ n: 3, box: "box-1", seq: 2 });
        const sameSeqOtherBox = event({ n: 4, box: "box-2", seq: 1 });
        const result = await store.commitBatch(batch({ events: [a, a, replayOfA, reuseOfA, b, sameSeqOtherBox] }));
        expect(results(result.events)).toEqual(["stored", "duplicate", "replay_conflict", "sequence_reuse", "stored", "stored"]);
        expect(detailOf(result.events[2])).toContain(a.id);
        expect(detailOf(result.events[3])).toContain(a.id);
        expect(await store.countEvents({})).toBe(3);
      });

      it("a sequence number left free by a rejected event in the same batch can be taken by the next", async () => {
        const stored = event({ n: 1, box: "box-1", seq: 1 });
        await store.commitBatch(batch({ events: [stored] }));
        // Same id as the stored event but another seq: a replay, which must not claim seq 2.
        const replayOnSeq2 = event({ n: 1, box: "box-1", seq: 2, variant: "tampered" });
        const genuineSeq2 = event({ n: 2, box: "box-1", seq: 2 });
        const result = await store.commitBatch(batch({ events: [replayOnSeq2, genuineSeq2] }));
        expect(results(result.events)).toEqual(["replay_conflict", "stored"]);
        expect(await store.getEvent(genuineSeq2.id)).toStrictEqual(genuineSeq2);
      });

      it("an empty batch stores nothing and succeeds", async () => {
        expect(await store.commitBatch(EMPTY_BATCH)).toStrictEqual({ events: [], raisedAlerts: [] });
      });

      it("a batch that fails stores none of its events, quarantine or alerts", async () => {
        const good = event({ n: 1, box: "box-1", seq: 1 });
        const unregistered = event({ n: 2, box: "box-unregistered", seq: 1 });
        const failing = batch({
          events: [good, unregistered],
          quarantine: [quarantine({ payload: "{", receivedAt: 1000 })],
          alerts: [{ alert: alert({ cause: "x", raisedAt: 1000 }), eventId: good.id }],
        });
        await expect(store.commitBatch(failing)).rejects.toThrow();
        expect(await store.countEvents({})).toBe(0);
        expect(await store.countQuarantine({})).toEqual([]);
        expect((await store.queryAlerts({}, { limit: 10 })).items).toEqual([]);
      });

      it("counts nurse attestations per institution, member of staff and reason, within a time window", async () => {
        const attested = (n: number, site: string, staffRef: string, reason: string): EventRecord => {
          const base = event({ n, box: "box-1", seq: n, site, outcome: "attested" });
          const body = JSON.stringify({ id: base.id, verification: { outcome: "attested", attestation: { staffRef, staffRole: "nurse", reason } } });
          return { ...base, body, bodyHash: createHash("sha256").update(body).digest("hex") };
        };
        const nurseA = "a".repeat(64);
        const nurseB = "b".repeat(64);
        await store.commitBatch(
          batch({
            events: [
              attested(1, "site-a", nurseA, "bandage"),
              attested(2, "site-a", nurseA, "bandage"),
              attested(3, "site-a", nurseB, "poor_sight"),
              attested(4, "site-b", nurseA, "bandage"),
              event({ n: 5, box: "box-1", seq: 5, site: "site-a" }),
            ],
          }),
        );
        expect(await store.countAttestations({ site: "site-a" })).toStrictEqual([
          { site: "site-a", staffRef: nurseA, reason: "bandage", count: 2 },
          { site: "site-a", staffRef: nurseB, reason: "poor_sight", count: 1 },
        ]);
        expect((await store.countAttestations({})).map((c) => [c.site, c.count])).toEqual([["site-a", 2], ["site-a", 1], ["site-b", 1]]);
        const second = event({ n: 2, box: "box-1", seq: 2 }).occurredAt;
        expect(await store.countAttestations({ site: "site-a", from: second, to: second + 1 })).toStrictEqual([{ site: "site-a", staffRef: nurseA, reason: "bandage", count: 1 }]);
      });

      it("counts stored events per box and the sequence numbers that never arrived", async () => {
        const seqs = [1, 2, 3, 5, 8];
        const events = seqs.map((seq, i) => event({ n: i + 1, box: "box-1", seq }));
        await store.commitBatch(batch({ events: [...events, ...events] }));
        await store.commitBatch(batch({ events: [event({ n: 100, box: "box-2", seq: 50 })] }));
        const maxSeq = Math.max(...seqs);
        expect(await store.sequenceStats("box-1")).toStrictEqual({
          box: "box-1",
          stored: seqs.length,
          maxSeq,
          missing: maxSeq - seqs.length,
        });
        expect(await store.sequenceStats("box-unknown")).toStrictEqual({ box: "box-unknown", stored: 0, maxSeq: 0, missing: 0 });
      });
    });

    describe("querying events", () => {
      const dataset = eventDataset();
      const ordered = [...dataset].sort(newestFirst((e) => e.occurredAt));
      const middle = ordered[20]?.occurredAt ?? 0;
      const later = ordered[10]?.occurredAt ?? 0;
      const filters: EventFilter[] = [
        {},
        { site: "site-a" },
        { box: "box-3" },
        { kind: "dialysis.check_out" },
        { outcome: "face_mismatch" },
        { subjectRef: SUBJECTS[0] },
        { from: middle },
        { to: middle },
        { from: middle, to: later },
        { site: "site-a", kind: "dialysis.check_in", outcome: "verified", from: middle },
        { site: "site-b", box: "box-1" },
      ];

      beforeEach(async () => {
        await registerBoxes();
        // Two batches, so order on read cannot come from insertion order.
        await store.commitBatch(batch({ events: dataset.filter((_, i) => i % 2 === 1) }));
        await store.commitBatch(batch({ events: dataset.filter((_, i) => i % 2 === 0) }));
      });

      it("the time bounds include `from` and exclude `to` (the fixtures sit on both bounds)", async () => {
        const page = await store.queryEvents({ from: middle, to: later }, { limit: 1000 });
        const times = page.items.map((e) => e.occurredAt);
        expect(times).toContain(middle);
        expect(times).not.toContain(later);
        expect(dataset.some((e) => e.occurredAt === later)).toBe(true);
      });

      it.each(filters.map((filter) => [JSON.stringify(filter), filter] as const))(
        "filters %s, newest first with ties by id, and counts the same rows",
        async (_, filter) => {
          const expected = ordered.filter((e) => matchesEvent(filter, e));
          const page = await store.queryEvents(filter, { limit: 1000 });
          expect(page.items).toStrictEqual(expected);
          expect(page.nextCursor).toBeNull();
          expect(await store.countEvents(filter)).toBe(expected.length);
        },
      );

      it.each([1, 3, 7, 60])("walks every event exactly once in pages of %i", async (limit) => {
        const seen = await walk((cursor) => store.queryEvents({}, { limit, cursor }));
        expect(seen.map((e) => e.id)).toEqual(ordered.map((e) => e.id));
      });

      it("walks a filtered listing exactly once", async () => {
        const filter: EventFilter = { site: "site-a", from: middle };
        const seen = await walk((cursor) => store.queryEvents(filter, { limit: 4, cursor }));
        expect(seen.map((e) => e.id)).toEqual(ordered.filter((e) => matchesEvent(filter, e)).map((e) => e.id));
      });

      it("an event stored while a client pages through neither repeats nor hides a row", async () => {
        const first = await store.queryEvents({}, { limit: 5 });
        const newest = event({ n: 500, box: "box-1", seq: 500, occurredAt: (ordered[0]?.occurredAt ?? 0) + 1 });
        await store.commitBatch(batch({ events: [newest] }));
        const rest = await walk((cursor) => store.queryEvents({}, { limit: 5, cursor: cursor ?? first.nextCursor ?? undefined }));
        expect([...first.items, ...rest].map((e) => e.id)).toEqual(ordered.map((e) => e.id));
      });

      it("rejects a cursor it did not issue, and a limit below one", async () => {
        await expect(store.queryEvents({}, { limit: 5, cursor: "not-a-cursor" })).rejects.toBeInstanceOf(StoreError);
        await expect(store.queryEvents({}, { limit: 5, cursor: "not-a-cursor" })).rejects.toMatchObject({ code: "invalid_cursor" });
        await expect(store.queryEvents({}, { limit: 0 })).rejects.toMatchObject({ code: "invalid_limit" });
      });
    });

    describe("quarantine", () => {
      it("stores a record with its raw bytes, seen once", async () => {
        const bytes = Buffer.from([0x7b, 0xff, 0x00, 0xfe, 0x22]);
        const record = quarantine({ payload: bytes, receivedAt: 5000, reason: "invalid_utf8" });
        await store.commitBatch(batch({ quarantine: [record] }));
        const { items } = await store.queryQuarantine({}, { limit: 10 });
        expect(items).toHaveLength(1);
        const [stored] = items;
        expect(stored).toMatchObject({ ...record, occurrences: 1, lastSeenAt: record.receivedAt });
        expect(typeof stored?.id).toBe("number");
        expect(Buffer.isBuffer(stored?.payload)).toBe(true);
        expect(stored?.payload.equals(bytes)).toBe(true);
      });

      it("the same bad message again counts another occurrence instead of adding a row", async () => {
        const first = quarantine({ payload: "{", receivedAt: 5000 });
        const again = { ...first, receivedAt: 9000, gatewayId: "gw-other" };
        await store.commitBatch(batch({ quarantine: [first] }));
        await store.commitBatch(batch({ quarantine: [again] }));
        const { items } = await store.queryQuarantine({}, { limit: 10 });
        expect(items).toHaveLength(1);
        expect(items[0]).toMatchObject({ receivedAt: first.receivedAt, gatewayId: first.gatewayId, occurrences: 2, lastSeenAt: again.receivedAt });
      });

      it("counts repeats of one message within a single batch too", async () => {
        const record = quarantine({ payload: "{", receivedAt: 5000 });
        const copies = [record, { ...record, receivedAt: 5100 }, { ...record, receivedAt: 5050 }];
        await store.commitBatch(batch({ quarantine: copies }));
        const { items } = await store.queryQuarantine({}, { limit: 10 });
        expect(items).toHaveLength(1);
        expect(items[0]).toMatchObject({ occurrences: copies.length, lastSeenAt: Math.max(...copies.map((c) => c.receivedAt)) });
      });

      describe("listing", () => {
        const reasons = [
          { reason: "invalid_json", step: "parse" },
          { reason: "schema_invalid", step: "validate" },
          { reason: "bad_signature", step: "authenticate" },
        ] as const;
        const records = Array.from({ length: 30 }, (_, n) => {
          const cause = reasons[n % 3] ?? reasons[0];
          return quarantine({
            payload: `payload-${n}`,
            // Pairs share a receivedAt, so the id tie-break decides their order.
            receivedAt: 10_000 + Math.floor(n / 2) * 100,
            reason: cause.reason,
            step: cause.step,
            site: n % 5 === 0 ? null : n % 2 === 0 ? "site-a" : "site-b",
            box: n % 4 === 0 ? "box-9" : "box-1",
          });
        });
        // Every fourth message arrives twice more: occurrences differ from messages.
        const redeliveries = records.filter((_, n) => n % 4 === 0).flatMap((r) => [{ ...r, receivedAt: 99_000 }, { ...r, receivedAt: 99_500 }]);

        beforeEach(async () => {
          await store.commitBatch(batch({ quarantine: records.slice(0, 15) }));
          await store.commitBatch(batch({ quarantine: [...records.slice(15), ...redeliveries] }));
        });

        const filters: QuarantineFilter[] = [
          {},
          { site: "site-a" },
          { box: "box-9" },
          { reason: "schema_invalid" },
          { step: "authenticate" },
          { from: 10_500, to: 11_200 },
        ];

        it.each(filters.map((filter) => [JSON.stringify(filter), filter] as const))(
          "filters %s newest first and groups counts by reason and step",
          async (_, filter) => {
            const expected = records.filter((r) => matchesQuarantine(filter, r));
            const page = await store.queryQuarantine(filter, { limit: 1000 });
            // Ids are the store's own, so the tie-break order is checked on what came back.
            expect(new Set(page.items.map((q) => q.payloadHash))).toEqual(new Set(expected.map((r) => r.payloadHash)));
            expect([...page.items].sort(newestFirst((q) => q.receivedAt))).toStrictEqual(page.items);

            const counts = await store.countQuarantine(filter);
            const expectedCounts = reasons
              .map(({ reason, step }) => {
                const group = expected.filter((r) => r.reason === reason && r.step === step);
                const repeats = redeliveries.filter((r) => group.some((g) => g.payloadHash === r.payloadHash)).length;
                return { reason, step, messages: group.length, occurrences: group.length + repeats };
              })
              .filter((c) => c.messages > 0)
              .sort((a, b) => (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
            expect(counts).toStrictEqual(expectedCounts);
          },
        );

        it.each([1, 4, 30])("walks every record exactly once in pages of %i", async (limit) => {
          const all = (await store.queryQuarantine({}, { limit: 1000 })).items;
          const seen = await walk((cursor) => store.queryQuarantine({}, { limit, cursor }));
          expect(seen).toStrictEqual(all);
          expect(new Set(seen.map((q) => q.id)).size).toBe(records.length);
        });
      });
    });

    describe("alerts", () => {
      beforeEach(registerBoxes);

      it("raises an alert whose event is newly stored", async () => {
        const e = event({ n: 1, box: "box-1", seq: 1 });
        const a = alert({ cause: "c1", raisedAt: 2000 });
        const result = await store.commitBatch(batch({ events: [e], alerts: [{ alert: a, eventId: e.id }] }));
        expect(result.raisedAlerts).toStrictEqual([a]);
        expect((await store.queryAlerts({}, { limit: 10 })).items).toStrictEqual([{ ...a, publishedAt: null }]);
      });

      it("does not raise again when the event is redelivered", async () => {
        const e = event({ n: 1, box: "box-1", seq: 1 });
        const a = alert({ cause: "c1", raisedAt: 2000 });
        await store.commitBatch(batch({ events: [e], alerts: [{ alert: a, eventId: e.id }] }));
        const again = await store.commitBatch(batch({ events: [e], alerts: [{ alert: a, eventId: e.id }] }));
        expect(again.raisedAlerts).toEqual([]);
      });

      it("does not raise an alert for an event that was not stored, even under a new alert id", async () => {
        const e = event({ n: 1, box: "box-1", seq: 1 });
        await store.commitBatch(batch({ events: [e] }));
        const replay = event({ n: 1, box: "box-1", seq: 1, variant: "tampered" });
        const reuse = event({ n: 2, box: "box-1", seq: 1 });
        const result = await store.commitBatch(
          batch({
            events: [e, replay, reuse],
            alerts: [
              { alert: alert({ cause: "dup", raisedAt: 1 }), eventId: e.id },
              { alert: alert({ cause: "replay", raisedAt: 1 }), eventId: replay.id },
              { alert: alert({ cause: "reuse", raisedAt: 1 }), eventId: reuse.id },
              { alert: alert({ cause: "absent", raisedAt: 1 }), eventId: eventId(404) },
            ],
          }),
        );
        expect(results(result.events)).toEqual(["duplicate", "replay_conflict", "sequence_reuse"]);
        expect(result.raisedAlerts).toEqual([]);
        expect((await store.queryAlerts({}, { limit: 10 })).items).toEqual([]);
      });

      it("an alert id raised before is not raised again by a new event (one cause, one alert)", async () => {
        const a = alert({ cause: "same-cause", raisedAt: 2000 });
        const e1 = event({ n: 1, box: "box-1", seq: 1 });
        const e2 = event({ n: 2, box: "box-1", seq: 2 });
        await store.commitBatch(batch({ events: [e1], alerts: [{ alert: a, eventId: e1.id }] }));
        const second = await store.commitBatch(batch({ events: [e2], alerts: [{ alert: { ...a, raisedAt: 3000 }, eventId: e2.id }] }));
        expect(second.raisedAlerts).toEqual([]);
        expect((await store.queryAlerts({}, { limit: 10 })).items.map((x) => x.raisedAt)).toEqual([a.raisedAt]);
      });

      it("raises one alert when a batch carries the same alert id twice, and returns raised alerts in input order", async () => {
        const events = [1, 2, 3].map((n) => event({ n, box: "box-1", seq: n }));
        const [e1, e2, e3] = events.map((e) => e.id);
        const x = alert({ cause: "x", raisedAt: 2000 });
        const y = alert({ cause: "y", raisedAt: 1000 });
        const result = await store.commitBatch(
          batch({
            events,
            alerts: [
              { alert: y, eventId: e1 ?? "" },
              { alert: x, eventId: e2 ?? "" },
              { alert: { ...y, raisedAt: 9999 }, eventId: e3 ?? "" },
            ],
          }),
        );
        expect(result.raisedAlerts).toStrictEqual([y, x]);
      });

      it("hands out unpublished alerts oldest first and keeps the first publication time", async () => {
        const events = [1, 2, 3, 4].map((n) => event({ n, box: "box-1", seq: n }));
        const alerts = events.map((e, i) => ({ alert: alert({ cause: e.id, raisedAt: 5000 - i * 1000 }), eventId: e.id }));
        await store.commitBatch(batch({ events, alerts }));
        const oldestFirst = alerts.map((a) => a.alert).sort((a, b) => a.raisedAt - b.raisedAt);

        const firstTwo = await store.unpublishedAlerts(2);
        expect(firstTwo.map((a) => a.id)).toEqual(oldestFirst.slice(0, 2).map((a) => a.id));
        await store.markAlertsPublished(firstTwo.map((a) => a.id), 7000);
        expect((await store.unpublishedAlerts(10)).map((a) => a.id)).toEqual(oldestFirst.slice(2).map((a) => a.id));

        await store.markAlertsPublished(firstTwo.map((a) => a.id), 8000);
        const listed = (await store.queryAlerts({}, { limit: 10 })).items;
        for (const a of listed) {
          expect(a.publishedAt).toBe(firstTwo.some((p) => p.id === a.id) ? 7000 : null);
        }
      });

      describe("listing", () => {
        const sites = ["site-a", "site-b"] as const;
        const kinds = ["impersonation_suspected", "spoof_suspected", "absent_inpatient"] as const;
        const events = Array.from({ length: 24 }, (_, n) => event({ n: n + 1, box: "box-1", seq: n + 1 }));
        const alerts = events.map((e, n) => ({
          alert: alert({
            cause: e.id,
            raisedAt: 50_000 + Math.floor(n / 3) * 1000,
            site: sites[n % 2] ?? "site-a",
            kind: kinds[n % 3] ?? "spoof_suspected",
          }),
          eventId: e.id,
        }));
        const ordered = alerts.map((a) => ({ ...a.alert, publishedAt: null })).sort(newestFirst((a) => a.raisedAt));

        beforeEach(async () => {
          await store.commitBatch(batch({ events, alerts }));
        });

        const filters: AlertFilter[] = [{}, { site: "site-b" }, { kind: "spoof_suspected" }, { from: 52_000, to: 55_000 }];

        it.each(filters.map((filter) => [JSON.stringify(filter), filter] as const))(
          "filters %s newest first with ties by id",
          async (_, filter) => {
            const expected = ordered.filter(
              (a) =>
                (filter.site === undefined || a.site === filter.site) &&
                (filter.kind === undefined || a.kind === filter.kind) &&
                (filter.from === undefined || a.raisedAt >= filter.from) &&
                (filter.to === undefined || a.raisedAt < filter.to),
            );
            expect((await store.queryAlerts(filter, { limit: 1000 })).items).toStrictEqual(expected);
          },
        );

        it.each([1, 5])("walks every alert exactly once in pages of %i", async (limit) => {
          const seen = await walk((cursor) => store.queryAlerts({}, { limit, cursor }));
          expect(seen).toStrictEqual(ordered);
        });
      });
    });

    describe("billed items", () => {
      it("stores a line and reads it back exactly", async () => {
        const line = billedItem({ n: 1 });
        expect(await store.storeBilledItems([line])).toEqual([{ result: "stored" }]);
        expect((await store.queryBilledItems({}, { limit: 10 })).items).toStrictEqual([line]);
      });

      it("the same line again is a duplicate; another body under its id is a conflict that keeps the first", async () => {
        const line = billedItem({ n: 1 });
        await store.storeBilledItems([line]);
        const outcomes = await store.storeBilledItems([line, billedItem({ n: 1, variant: "b" }), billedItem({ n: 2 })]);
        expect(outcomes.map((o) => o.result)).toEqual(["duplicate", "conflict", "stored"]);
        expect(outcomes[1]).toMatchObject({ detail: expect.stringContaining(line.id) as unknown });
        expect((await store.queryBilledItems({ institution: line.institution }, { limit: 10 })).items.find((i) => i.id === line.id)).toStrictEqual(line);
      });

      it("within one batch the first of two bodies under one id is stored, in input order", async () => {
        const outcomes = await store.storeBilledItems([billedItem({ n: 3, variant: "x" }), billedItem({ n: 3, variant: "y" }), billedItem({ n: 3, variant: "x" })]);
        expect(outcomes.map((o) => o.result)).toEqual(["stored", "conflict", "duplicate"]);
        expect((await store.queryBilledItems({}, { limit: 10 })).items).toStrictEqual([billedItem({ n: 3, variant: "x" })]);
      });

      it("line ids are unique per institution only", async () => {
        const outcomes = await store.storeBilledItems([billedItem({ n: 1 }), billedItem({ n: 1, institution: "H45012400011" })]);
        expect(outcomes.map((o) => o.result)).toEqual(["stored", "stored"]);
      });

      it("an empty import stores nothing and succeeds", async () => {
        expect(await store.storeBilledItems([])).toEqual([]);
      });

      describe("listing", () => {
        const lines = Array.from({ length: 24 }, (_, n) =>
          billedItem({ n: n + 1, institution: n % 2 === 0 ? "H50010600123" : "H45012400011", category: n % 4 === 0 ? "bed_day" : "haemodialysis", serviceAt: 80_000 + Math.floor(n / 3) * 1000 }),
        );
        const ordered = [...lines].sort(newestFirst((l) => l.serviceAt));

        beforeEach(async () => {
          await store.storeBilledItems(lines);
        });

        const filters: BilledItemFilter[] = [{}, { institution: "H45012400011" }, { patientRef: lines[0]?.patientRef }, { category: "bed_day" }, { from: 82_000, to: 85_000 }];

        it.each(filters.map((filter) => [JSON.stringify(filter), filter] as const))("filters %s newest first with ties by id", async (_, filter) => {
          const expected = ordered.filter(
            (l) =>
              (filter.institution === undefined || l.institution === filter.institution) &&
              (filter.patientRef === undefined || l.patientRef === filter.patientRef) &&
              (filter.category === undefined || l.category === filter.category) &&
              (filter.from === undefined || l.serviceAt >= filter.from) &&
              (filter.to === undefined || l.serviceAt < filter.to),
          );
          expect(expected.length).toBeGreaterThan(0);
          expect((await store.queryBilledItems(filter, { limit: 1000 })).items).toStrictEqual(expected);
        });

        it.each([1, 5])("walks every line exactly once in pages of %i", async (limit) => {
          expect(await walk((cursor) => store.queryBilledItems({}, { limit, cursor }))).toStrictEqual(ordered);
        });
      });
    });

    describe("API tokens", () => {
      it("finds a token by the hash of its secret", async () => {
        const token = { name: "ward-dashboard", role: "hospital", site: "site-a", tokenHash: "f".repeat(64), createdAt: 1234 } as const;
        await store.createApiToken(token);
        expect(await store.findApiToken(token.tokenHash)).toStrictEqual(token);
        expect(await store.findApiToken("0".repeat(64))).toBeUndefined();
      });

      it("refuses a second token with the same hash, and a hospital token without a site", async () => {
        const token = { name: "admin", role: "admin", site: null, tokenHash: "a".repeat(64), createdAt: 1 } as const;
        await store.createApiToken(token);
        await expect(store.createApiToken({ ...token, name: "other" })).rejects.toThrow();
        await expect(store.createApiToken({ ...token, role: "hospital", tokenHash: "b".repeat(64) })).rejects.toThrow();
        expect(await store.findApiToken("b".repeat(64))).toBeUndefined();
      });
    });

    describeProvisioningStoreContract({ store: () => store, openPeer: options.concurrentPeers ? () => subject.openPeer?.() ?? Promise.reject(new Error(`${name}: concurrentPeers needs openPeer`)) : undefined });

    describeAlertCaseStoreContract({ store: () => store, openPeer: options.concurrentPeers ? () => subject.openPeer?.() ?? Promise.reject(new Error(`${name}: concurrentPeers needs openPeer`)) : undefined });

    if (options.concurrentPeers) describePeers();

    function describePeers(): void {
      describe("two gateways on one database", () => {
      let peer: GatewayStore;

      beforeEach(async () => {
        if (subject.openPeer === undefined) throw new Error(`${name}: concurrentPeers needs openPeer`);
        peer = await subject.openPeer();
        await peer.migrate();
        await registerBoxes();
      });

      it("overlapping batches committed at once store each event and raise each alert exactly once", async () => {
        // Batches big enough that the two transactions' inserts really overlap in time.
        const size = 600;
        const [firstEnd, secondStart] = [400, 200];
        const rounds = 3;
        for (let round = 0; round < rounds; round++) {
          const events = Array.from({ length: size }, (_, n) => {
            const number = round * 10_000 + n + 1;
            return event({ n: number, box: BOXES[n % 3]?.box ?? "box-1", seq: number });
          });
          // Every tenth event raises an alert, offered by each batch that carries the event.
          const alerting = new Set(events.filter((_, n) => n % 10 === 0).map((e) => e.id));
          const alertOf = (e: EventRecord) => ({ alert: alert({ cause: e.id, raisedAt: e.occurredAt }), eventId: e.id });
          const withAlerts = (part: EventRecord[]) => batch({ events: part, alerts: part.filter((e) => alerting.has(e.id)).map(alertOf) });
          const mine = withAlerts(events.slice(0, firstEnd));
          // The peer sees the overlap in the opposite order, as a redelivery to another gateway might.
          const theirs = withAlerts(events.slice(secondStart).reverse());
          const [a, b] = await Promise.all([store.commitBatch(mine), peer.commitBatch(theirs)]);

          const storedIds = [
            ...mine.events.filter((_, i) => a.events[i]?.result === "stored"),
            ...theirs.events.filter((_, i) => b.events[i]?.result === "stored"),
          ].map((e) => e.id);
          expect([...storedIds].sort()).toEqual(events.map((e) => e.id).sort());
          const notStored = [...a.events, ...b.events].filter((o) => o.result !== "stored");
          expect(notStored.map((o) => o.result)).toEqual(Array.from({ length: firstEnd - secondStart }, () => "duplicate"));

          const raised = [...a.raisedAlerts, ...b.raisedAlerts].map((x) => x.id);
          expect([...raised].sort()).toEqual(events.filter((e) => alerting.has(e.id)).map((e) => alertOf(e).alert.id).sort());
        }
        expect(await store.countEvents({})).toBe(rounds * size);
        expect(await peer.countEvents({})).toBe(rounds * size);
      });

      it("overlapping billing imports at once store each line exactly once", async () => {
        const lines = Array.from({ length: 900 }, (_, n) => billedItem({ n: n + 1 }));
        const mine = lines.slice(0, 600);
        const theirs = lines.slice(300).reverse();
        const [a, b] = await Promise.all([store.storeBilledItems(mine), peer.storeBilledItems(theirs)]);
        const stored = [...mine.filter((_, i) => a[i]?.result === "stored"), ...theirs.filter((_, i) => b[i]?.result === "stored")].map((l) => l.id);
        expect([...stored].sort()).toEqual(lines.map((l) => l.id).sort());
        expect([...a, ...b].filter((o) => o.result !== "stored").map((o) => o.result)).toEqual(Array.from({ length: 300 }, () => "duplicate"));
      });

      it("racing events on one sequence number: one is stored, the other is sequence reuse naming it", async () => {
        for (let round = 1; round <= 10; round++) {
          const mine = event({ n: round * 2, box: "box-2", seq: round });
          const theirs = event({ n: round * 2 + 1, box: "box-2", seq: round });
          const [a, b] = await Promise.all([
            store.commitBatch(batch({ events: [mine] })),
            peer.commitBatch(batch({ events: [theirs] })),
          ]);
          const outcomes = [a.events[0], b.events[0]];
          const winner = outcomes[0]?.result === "stored" ? mine : theirs;
          expect(outcomes.map((o) => o?.result).sort()).toEqual(["sequence_reuse", "stored"]);
          expect(detailOf(outcomes.find((o) => o?.result === "sequence_reuse"))).toContain(winner.id);
        }
        expect((await store.sequenceStats("box-2")).stored).toBe(10);
      });

      it("racing replays of one id: one body is stored, the other is a replay conflict", async () => {
        for (let round = 1; round <= 10; round++) {
          const mine = event({ n: round, box: "box-3", seq: round });
          const theirs = event({ n: round, box: "box-3", seq: round, variant: "tampered" });
          const [a, b] = await Promise.all([
            store.commitBatch(batch({ events: [mine] })),
            peer.commitBatch(batch({ events: [theirs] })),
          ]);
          expect([a.events[0]?.result, b.events[0]?.result].sort()).toEqual(["replay_conflict", "stored"]);
          const winner = a.events[0]?.result === "stored" ? mine : theirs;
          expect(await peer.getEvent(winner.id)).toStrictEqual(winner);
        }
      });

      it("the same bad message quarantined by both at once is one row with both occurrences", async () => {
        const records = Array.from({ length: 20 }, (_, n) => quarantine({ payload: `bad-${n}`, receivedAt: 1000 + n }));
        await Promise.all([
          store.commitBatch(batch({ quarantine: records })),
          peer.commitBatch(batch({ quarantine: [...records].reverse() })),
        ]);
        const { items } = await store.queryQuarantine({}, { limit: 100 });
        expect(items).toHaveLength(records.length);
        expect(items.every((q) => q.occurrences === 2)).toBe(true);
      });
    });
    }
  });
}
