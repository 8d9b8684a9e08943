import {
  parseTopic,
  PROTOCOL_VERSION,
  QUARANTINE_REASON_DOCS,
  type AckEntry,
  type AckMessage,
  type EventMessage,
  type ParsedTopic,
  type ProtocolViolation,
  type QuarantineReason,
} from "../../protocol/index.js";
import type { AlertRecord, EventRecord, GatewayStore, IngestBatch, QuarantineRecord } from "../store/gateway-store.js";
import type { DeviceDirectory } from "./device-directory.js";
import { alertsForEvent, raisesAlert } from "./event-alerts.js";
import { quarantineRecord } from "./quarantine-record.js";
import { inspectEvent, sha256Hex, type InspectRequest, type InspectResult } from "./inspect-event.js";
import type { VerifierPool } from "./verifier-pool.js";

/**
 * parse → validate → verify signature → store idempotently → acknowledge, for event messages.
 *
 * Messages are inspected concurrently (worker threads) as they arrive and committed in arrival order
 * in batches: while one batch is being written, the next is being verified. Every message ends in
 * exactly one place (the events table or the quarantine table) before anything is acknowledged, and
 * a failed commit is retried, never dropped.
 */
export interface IngestOutput {
  publishAck(site: string, box: string, ack: AckMessage): void;
  publishAlert(alert: AlertRecord): Promise<void>;
}

export interface IngestLimits {
  readonly maxBatch: number;
  readonly highWater: number;
  readonly maxClockSkewMs: number;
  readonly maxEventAgeMs: number;
  readonly quarantinePayloadCapBytes: number;
}

export interface IngestStats {
  received: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  quarantinedByReason: Partial<Record<QuarantineReason, number>>;
  batches: number;
  alertsRaised: number;
  commitRetries: number;
  inFlight: number;
}

export interface IngestPipeline {
  /** Takes one message; resolves when the pipeline has room for the next (backpressure). */
  accept(topic: string, payload: Buffer): Promise<void>;
  /** Resolves once everything accepted so far is committed and acknowledged. */
  drained(): Promise<void>;
  stats(): Readonly<IngestStats>;
  close(): Promise<void>;
}

interface Entry {
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: number;
  readonly address: { site: string; box: string } | null;
  readonly result: Promise<InspectResult>;
}

export interface IngestPipelineOptions {
  readonly store: GatewayStore;
  readonly directory: DeviceDirectory;
  readonly verifier: VerifierPool;
  readonly output: IngestOutput;
  readonly limits: IngestLimits;
  readonly gatewayId: string;
  readonly log?: (level: "info" | "warn" | "error", message: string) => void;
  readonly now?: () => number;
}

export function createIngestPipeline(options: IngestPipelineOptions): IngestPipeline {
  const { store, directory, verifier, output, limits, gatewayId } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const pending: Entry[] = [];
  const stats: IngestStats = {
    received: 0,
    stored: 0,
    duplicates: 0,
    quarantined: 0,
    quarantinedByReason: {},
    batches: 0,
    alertsRaised: 0,
    commitRetries: 0,
    inFlight: 0,
  };
  let wakeCommitter: (() => void) | null = null;
  let roomWaiters: (() => void)[] = [];
  let drainWaiters: (() => void)[] = [];
  let closing = false;
  // Alert publications run beside the commit loop; closing waits for them so none is cut off.
  const alertPublications = new Set<Promise<void>>();

  function inspect(entry: Omit<Entry, "result">, parsed: ParsedTopic | undefined): Promise<InspectResult> {
    if (parsed?.kind !== "events" || entry.address === null) {
      const v: ProtocolViolation = {
        reason: "unknown_topic",
        step: "validate",
        detail: `topic ${JSON.stringify(entry.topic)} is not an events topic of the tree cw/v1/{site}/{box}/events`,
      };
      return Promise.resolve({ ok: false, violation: v, event: null, payloadSha256: sha256Hex(entry.payload) });
    }
    const { site, box } = entry.address;
    return directory.keyFor(box).then((key) => {
      const request: InspectRequest = {
        payload: entry.payload,
        site,
        box,
        key,
        receivedAt: entry.receivedAt,
        maxClockSkewMs: limits.maxClockSkewMs,
        maxEventAgeMs: limits.maxEventAgeMs,
      };
      // A crashed worker must not lose the message: inspect it here instead.
      return verifier.inspect(request).catch((error: unknown) => {
        log("warn", `verifier worker failed (${String(error)}); inspecting on the main thread`);
        return inspectEvent(request);
      });
    });
  }

  function accept(topic: string, payload: Buffer): Promise<void> {
    if (closing) return Promise.reject(new Error("ingest pipeline is closing"));
    const parsed = parseTopic(topic);
    const address = parsed?.kind === "events" ? { site: parsed.site, box: parsed.box } : null;
    const base = { topic, payload, receivedAt: now(), address };
    pending.push({ ...base, result: inspect(base, parsed) });
    stats.received++;
    stats.inFlight = pending.length;
    wakeCommitter?.();
    if (pending.length < limits.highWater) return Promise.resolve();
    return new Promise((resolve) => roomWaiters.push(resolve));
  }

  function quarantineOf(entry: Entry, v: ProtocolViolation, eventId: string | null): QuarantineRecord {
    return quarantineRecord({
      topic: entry.topic,
      payload: entry.payload,
      receivedAt: entry.receivedAt,
      site: entry.address?.site ?? parseTopic(entry.topic)?.site ?? null,
      box: entry.address?.box ?? null,
      eventId,
      violation: v,
      payloadCapBytes: limits.quarantinePayloadCapBytes,
      gatewayId,
    });
  }

  /** Commits, retrying with back-off: forever by default (a store that is down must not lose data). */
  async function commitWithRetry(batch: IngestBatch, maxAttempts = Number.POSITIVE_INFINITY): Promise<Awaited<ReturnType<GatewayStore["commitBatch"]>>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await store.commitBatch(batch);
      } catch (error) {
        if ((closing && attempt >= 3) || attempt + 1 >= maxAttempts) throw error;
        stats.commitRetries++;
        const delay = Math.min(5_000, 50 * 2 ** Math.min(attempt, 7));
        log("error", `store commit failed (attempt ${attempt + 1}), retrying in ${delay} ms: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Commits a batch; if the store keeps refusing it while the store itself works, commits its messages
   * one by one, so a message the store cannot take (a poison message) is quarantined as
   * `store_rejected` instead of blocking every message behind it.
   */
  async function commitIsolating(entries: readonly Entry[], results: readonly InspectResult[]): Promise<void> {
    try {
      await commit(entries, results, 3);
      return;
    } catch (error) {
      if (entries.length > 1) {
        log("warn", `a batch of ${entries.length} was refused (${String(error)}); committing its messages one by one`);
        for (let i = 0; i < entries.length; i++) await commitIsolating(entries.slice(i, i + 1), results.slice(i, i + 1));
        return;
      }
      // Wait until the store takes an empty commit: if it is down, nothing is judged a poison message.
      await commitWithRetry({ events: [], quarantine: [], alerts: [] });
      try {
        await commit(entries, results, 3);
      } catch (again) {
        await quarantinePoison(entries[0], results[0], again);
      }
    }
  }

  async function quarantinePoison(entry: Entry | undefined, result: InspectResult | undefined, error: unknown): Promise<void> {
    if (entry === undefined || result === undefined) return;
    const v: ProtocolViolation = { reason: "store_rejected", step: "store", detail: `the store refused this message: ${String(error).slice(0, 500)}` };
    const event = result.ok ? { id: result.event.id, seq: result.event.seq } : result.event;
    await commitWithRetry({ events: [], quarantine: [quarantineOf(entry, v, event?.id ?? null)], alerts: [] });
    countQuarantine("store_rejected");
    if (event !== null) publishAcks([{ entry, ack: { ...event, payloadSha256: result.payloadSha256, result: "quarantined", reason: "store_rejected" } }], now());
  }

  async function commit(entries: readonly Entry[], results: readonly InspectResult[], maxAttempts: number): Promise<void> {
    const events: EventRecord[] = [];
    const eventEntries: { entry: Entry; id: string; seq: number; payloadSha256: string }[] = [];
    const quarantine: QuarantineRecord[] = [];
    const alerts: { alert: AlertRecord; eventId: string }[] = [];
    const acks: { entry: Entry; ack: AckEntry }[] = [];
    const receivedAtCommit = now();

    entries.forEach((entry, i) => {
      const result = results[i];
      if (result === undefined) return;
      if (!result.ok) {
        quarantine.push(quarantineOf(entry, result.violation, result.event?.id ?? null));
        if (result.event !== null) {
          acks.push({
            entry,
            ack: { ...result.event, payloadSha256: result.payloadSha256, result: "quarantined", reason: result.violation.reason },
          });
        }
        return;
      }
      const { event } = result;
      events.push({
        id: event.id,
        site: event.site,
        box: event.box,
        seq: event.seq,
        kind: event.kind,
        outcome: event.outcome,
        occurredAt: result.occurredAt,
        receivedAt: entry.receivedAt,
        subjectRef: event.subjectRef,
        bodyHash: result.bodyHash,
        body: result.body,
        gatewayId,
      });
      eventEntries.push({ entry, id: event.id, seq: event.seq, payloadSha256: result.payloadSha256 });
      if (raisesAlert(event.outcome)) {
        for (const alert of alertsForEvent(JSON.parse(result.body) as EventMessage, receivedAtCommit)) alerts.push({ alert, eventId: event.id });
      }
    });

    const outcome = await commitWithRetry({ events, quarantine, alerts }, maxAttempts);
    for (const q of quarantine) countQuarantine(q.reason);
    const conflicts: QuarantineRecord[] = [];
    outcome.events.forEach((stored, i) => {
      const e = eventEntries[i];
      if (e === undefined) return;
      const ack = { id: e.id, seq: e.seq, payloadSha256: e.payloadSha256 };
      if (stored.result === "stored" || stored.result === "duplicate") {
        stats[stored.result === "stored" ? "stored" : "duplicates"]++;
        acks.push({ entry: e.entry, ack: { ...ack, result: stored.result, reason: null } });
        return;
      }
      const v: ProtocolViolation = { reason: stored.result, step: QUARANTINE_REASON_DOCS[stored.result].step, detail: stored.detail };
      conflicts.push(quarantineOf(e.entry, v, e.id));
      countQuarantine(stored.result);
      acks.push({ entry: e.entry, ack: { ...ack, result: "quarantined", reason: stored.result } });
    });
    // Replays are found by the store itself; their quarantine records must be durable before the ack.
    if (conflicts.length > 0) await commitWithRetry({ events: [], quarantine: conflicts, alerts: [] });
    stats.batches++;

    publishAcks(acks, receivedAtCommit);
    stats.alertsRaised += outcome.raisedAlerts.length;
    if (outcome.raisedAlerts.length > 0) {
      const publishing = publishAlerts(outcome.raisedAlerts).finally(() => alertPublications.delete(publishing));
      alertPublications.add(publishing);
    }
  }

  function countQuarantine(reason: QuarantineReason): void {
    stats.quarantined++;
    stats.quarantinedByReason[reason] = (stats.quarantinedByReason[reason] ?? 0) + 1;
  }

  function publishAcks(acks: readonly { entry: Entry; ack: AckEntry }[], at: number): void {
    const byBox = new Map<string, { site: string; box: string; entries: AckEntry[] }>();
    for (const { entry, ack } of acks) {
      if (entry.address === null) continue;
      const key = `${entry.address.site}/${entry.address.box}`;
      let group = byBox.get(key);
      if (group === undefined) {
        group = { ...entry.address, entries: [] };
        byBox.set(key, group);
      }
      group.entries.push(ack);
    }
    const iso = new Date(at).toISOString();
    for (const { site, box, entries } of byBox.values()) {
      for (let i = 0; i < entries.length; i += 1000) {
        output.publishAck(site, box, { v: PROTOCOL_VERSION, box, at: iso, acks: entries.slice(i, i + 1000) });
      }
    }
  }

  async function publishAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    const published: string[] = [];
    for (const alert of alerts) {
      try {
        await output.publishAlert(alert);
        published.push(alert.id);
      } catch (error) {
        log("warn", `alert ${alert.id} not published yet (${String(error)}); it stays queued in the store`);
      }
    }
    if (published.length > 0) await store.markAlertsPublished(published, now());
  }

  async function run(): Promise<void> {
    for (;;) {
      if (pending.length === 0) {
        for (const resolve of drainWaiters) resolve();
        drainWaiters = [];
        if (closing) return;
        await new Promise<void>((resolve) => (wakeCommitter = resolve));
        wakeCommitter = null;
        continue;
      }
      // Let the socket's queued messages in first (one macrotask turn): under load this is what turns
      // a stream of single messages into batches, and so one transaction (one fsync) per batch.
      if (pending.length < limits.maxBatch) await new Promise((resolve) => setImmediate(resolve));
      const entries = pending.slice(0, limits.maxBatch);
      const results = await Promise.all(entries.map((e) => e.result));
      try {
        await commitIsolating(entries, results);
      } catch (error) {
        // Only reachable while closing: leave the rest unacknowledged; boxes re-send it.
        log("error", `ingest stopped with ${pending.length} messages not stored: ${String(error)}`);
        return;
      }
      pending.splice(0, entries.length);
      stats.inFlight = pending.length;
      if (pending.length < limits.highWater) {
        const waiters = roomWaiters;
        roomWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  const committer = run();

  return {
    accept,
    drained() {
      if (pending.length === 0) return Promise.resolve();
      return new Promise((resolve) => drainWaiters.push(resolve));
    },
    stats: () => ({ ...stats, quarantinedByReason: { ...stats.quarantinedByReason } }),
    async close() {
      closing = true;
      wakeCommitter?.();
      await committer;
      await Promise.allSettled([...alertPublications]);
      for (const resolve of roomWaiters) resolve();
    },
  };
}
