import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { TOPICS, type AckEntry } from "../../protocol/index.js";
import { OutboxError } from "./outbox-error.js";

/**
 * The box's outbox: every event is written here, with its sequence number, before the patient is
 * told the check is done, and it stays until the gateway's ack names it with the hash of exactly these
 * bytes. The broker's PUBACK deletes nothing. SQLite in WAL mode with synchronous=FULL: a confirmed
 * check survives a power cut, not only a crash (sqlite.org/pragma.html#pragma_synchronous).
 *
 * The sequence counter lives in its own row and advances in the same transaction as the insert, so a
 * sequence number is never reused, even after every event has been acknowledged and deleted.
 *
 * An acknowledged event moves to a `delivered` table, kept for a while (pruneDelivered: by age and
 * bytes), so that a gateway that lost data (restored from a backup) can ask for it again with the
 * command resend_outbox: requeueFrom puts the delivered events from a sequence number on back in the
 * outbox, where they drain like any backlog. They are the signed events as sent: pseudonymous refs and
 * masked numbers only.
 */
export interface OutboxEvent {
  readonly seq: number;
  readonly id: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly payloadSha256: string;
  readonly createdAt: number;
  readonly attempts: number;
  readonly lastSentAt: number | null;
}

export interface NewOutboxEvent {
  readonly id: string;
  readonly topic: string;
  readonly payload: Buffer;
}

export type AckOutcome = "deleted" | "hash_mismatch" | "unknown";

/** What requeueFrom did: how many delivered events went back, and from which seq the box still held them. */
export interface RequeueReport {
  readonly requeued: number;
  /** The lowest seq still held (outbox or delivered) at or after the requested one; null when none. */
  readonly heldFrom: number | null;
  readonly lastSeq: number;
}

export interface OutboxStats {
  readonly depth: number;
  readonly bytes: number;
  readonly oldestCreatedAt: number | null;
  readonly lastSeq: number;
}

const SCHEMA_VERSION = 2;

export class EventOutbox {
  private readonly db: Database.Database;
  private readonly nextSeq: Database.Statement<[]>;
  private readonly insert: Database.Statement<[number, string, string, Buffer, string, number]>;
  private readonly remove: Database.Statement<[string, string]>;
  private readonly keep: Database.Statement<[number, string, string]>;
  private readonly hashOf: Database.Statement<[string]>;
  private readonly sent: Database.Statement<[number, number]>;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
    this.nextSeq = this.db.prepare("UPDATE outbox_state SET last_seq = last_seq + 1 RETURNING last_seq");
    this.insert = this.db.prepare(
      "INSERT INTO outbox (seq, id, topic, payload, payload_sha256, created_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 0)",
    );
    this.keep = this.db.prepare(
      "INSERT OR REPLACE INTO delivered (seq, id, topic, payload, payload_sha256, created_at, acked_at) SELECT seq, id, topic, payload, payload_sha256, created_at, ? FROM outbox WHERE id = ? AND payload_sha256 = ?",
    );
    this.remove = this.db.prepare("DELETE FROM outbox WHERE id = ? AND payload_sha256 = ?");
    this.hashOf = this.db.prepare("SELECT payload_sha256 FROM outbox WHERE id = ?");
    this.sent = this.db.prepare("UPDATE outbox SET attempts = attempts + 1, last_sent_at = ? WHERE seq = ?");
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new OutboxError("schema_too_new", `outbox schema ${version} is newer than this agent's ${SCHEMA_VERSION}`);
    }
    if (version === SCHEMA_VERSION) return;
    this.db.transaction(() => {
      if (version < 1) {
        this.db.exec(`
          CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            topic TEXT NOT NULL,
            payload BLOB NOT NULL,
            payload_sha256 TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            last_sent_at INTEGER
          );
          CREATE TABLE outbox_state (last_seq INTEGER NOT NULL);
          INSERT INTO outbox_state (last_seq) VALUES (0);
        `);
      }
      if (version < 2) {
        this.db.exec(`
          CREATE TABLE delivered (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            topic TEXT NOT NULL,
            payload BLOB NOT NULL,
            payload_sha256 TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            acked_at INTEGER NOT NULL
          );
          CREATE INDEX delivered_acked_at ON delivered (acked_at);
        `);
      }
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  /**
   * Allocates the next sequence number, lets `build` make the signed event with it, and stores the
   * result, in one transaction: when this returns, the event is durable and its seq is spent.
   */
  enqueue(build: (seq: number) => NewOutboxEvent, now: number = Date.now()): OutboxEvent {
    return this.db.transaction((): OutboxEvent => {
      const row = this.nextSeq.get() as { last_seq: number } | undefined;
      if (row === undefined) throw new Error("outbox_state row missing");
      const seq = row.last_seq;
      const event = build(seq);
      if (event.payload.byteLength > TOPICS.events.maxPayloadBytes) {
        throw new OutboxError("payload_too_large", `event ${event.id} is ${event.payload.byteLength} bytes; the limit is ${TOPICS.events.maxPayloadBytes}`);
      }
      const payloadSha256 = createHash("sha256").update(event.payload).digest("hex");
      try {
        this.insert.run(seq, event.id, event.topic, event.payload, payloadSha256, now);
      } catch (error) {
        if (String(error).includes("UNIQUE")) throw new OutboxError("duplicate_event_id", `event id ${event.id} is already in the outbox`);
        throw error;
      }
      return { seq, ...event, payloadSha256, createdAt: now, attempts: 0, lastSentAt: null };
    }).immediate();
  }

  /**
   * Events due for publication, oldest sequence first: never sent, or sent more than `resendAfterMs`
   * ago without an ack.
   */
  due(now: number, resendAfterMs: number, limit: number, options: { createdBefore?: number; createdFrom?: number } = {}): OutboxEvent[] {
    const rows = this.db
      .prepare(
        `SELECT seq, id, topic, payload, payload_sha256, created_at, attempts, last_sent_at FROM outbox
         WHERE (last_sent_at IS NULL OR last_sent_at <= ?) AND created_at < ? AND created_at >= ?
         ORDER BY seq LIMIT ?`,
      )
      .all(now - resendAfterMs, options.createdBefore ?? Number.MAX_SAFE_INTEGER, options.createdFrom ?? 0, limit) as OutboxRow[];
    return rows.map(fromRow);
  }

  markSent(seqs: readonly number[], at: number): void {
    this.db.transaction(() => {
      for (const seq of seqs) this.sent.run(at, seq);
    })();
  }

  /**
   * Applies the gateway's acks: an entry removes an event from the outbox (into `delivered`) only if
   * it names its id and its exact bytes.
   */
  acknowledge(entries: readonly AckEntry[], now: number = Date.now()): AckOutcome[] {
    return this.db.transaction(() =>
      entries.map((entry): AckOutcome => {
        this.keep.run(now, entry.id, entry.payloadSha256);
        if (this.remove.run(entry.id, entry.payloadSha256).changes === 1) return "deleted";
        return this.hashOf.get(entry.id) === undefined ? "unknown" : "hash_mismatch";
      }),
    )();
  }

  /**
   * resend_outbox: delivered events from `fromSeq` on go back into the outbox as never sent (oldest
   * first, so they drain as backlog behind live events). Events still in the outbox are simply due.
   */
  requeueFrom(fromSeq: number): RequeueReport {
    return this.db.transaction((): RequeueReport => {
      const moved = this.db
        .prepare(
          `INSERT INTO outbox (seq, id, topic, payload, payload_sha256, created_at, attempts, last_sent_at)
           SELECT seq, id, topic, payload, payload_sha256, created_at, 0, NULL FROM delivered WHERE seq >= ? AND id NOT IN (SELECT id FROM outbox)`,
        )
        .run(fromSeq).changes;
      this.db.prepare("DELETE FROM delivered WHERE seq >= ?").run(fromSeq);
      this.db.prepare("UPDATE outbox SET last_sent_at = NULL WHERE seq >= ?").run(fromSeq);
      const held = this.db.prepare("SELECT min(seq) AS seq FROM outbox WHERE seq >= ?").get(fromSeq) as { seq: number | null };
      const last = this.db.prepare("SELECT last_seq FROM outbox_state").get() as { last_seq: number };
      return { requeued: moved, heldFrom: held.seq, lastSeq: last.last_seq };
    }).immediate();
  }

  /** Forgets delivered events acknowledged before `keepSince`, then the oldest beyond `maxBytes`. Returns how many went. */
  pruneDelivered(keepSince: number, maxBytes: number): number {
    return this.db.transaction((): number => {
      let removed = this.db.prepare("DELETE FROM delivered WHERE acked_at < ?").run(keepSince).changes;
      const total = (this.db.prepare("SELECT coalesce(sum(length(payload)), 0) AS bytes FROM delivered").get() as { bytes: number }).bytes;
      if (total > maxBytes) {
        // Oldest first: walk up the sequence until what remains fits.
        const rows = this.db.prepare("SELECT seq, length(payload) AS bytes FROM delivered ORDER BY seq").all() as { seq: number; bytes: number }[];
        let excess = total - maxBytes;
        let cut = 0;
        for (const row of rows) {
          if (excess <= 0) break;
          excess -= row.bytes;
          cut = row.seq;
        }
        removed += this.db.prepare("DELETE FROM delivered WHERE seq <= ?").run(cut).changes;
      }
      return removed;
    })();
  }

  /** Delivered events still held for resend_outbox: how many, and from which seq. */
  deliveredStats(): { readonly count: number; readonly bytes: number; readonly fromSeq: number | null } {
    const row = this.db.prepare("SELECT count(*) AS count, coalesce(sum(length(payload)), 0) AS bytes, min(seq) AS from_seq FROM delivered").get() as { count: number; bytes: number; from_seq: number | null };
    return { count: row.count, bytes: row.bytes, fromSeq: row.from_seq };
  }

  stats(): OutboxStats {
    const row = this.db
      .prepare(
        "SELECT count(*) AS depth, coalesce(sum(length(payload)), 0) AS bytes, min(created_at) AS oldest, (SELECT last_seq FROM outbox_state) AS last_seq FROM outbox",
      )
      .get() as { depth: number; bytes: number; oldest: number | null; last_seq: number };
    return { depth: row.depth, bytes: row.bytes, oldestCreatedAt: row.oldest, lastSeq: row.last_seq };
  }

  close(): void {
    this.db.close();
  }
}

interface OutboxRow {
  seq: number;
  id: string;
  topic: string;
  payload: Buffer;
  payload_sha256: string;
  created_at: number;
  attempts: number;
  last_sent_at: number | null;
}

function fromRow(row: OutboxRow): OutboxEvent {
  return {
    seq: row.seq,
    id: row.id,
    topic: row.topic,
    payload: row.payload,
    payloadSha256: row.payload_sha256,
    createdAt: row.created_at,
    attempts: row.attempts,
    lastSentAt: row.last_sent_at,
  };
}
