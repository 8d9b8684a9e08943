import pg from "pg";
import { attestationCountsOf, attestedEventsSql, type AttestationCount, type AttestationFilter, type AttestedEventRow } from "./attestation-counts.js";
import type { AlertCaseStore } from "./alert-case-records.js";
import { sqlAlertCaseStore } from "./alert-case-sql.js";
import { pgRunner } from "./sql-program.js";
import { decideRegistration } from "./device-registration.js";
import { classifyUnstored, storedEventIds } from "./event-outcome.js";
import {
  alertListing,
  billedItemListing,
  countSql,
  eventListing,
  pageSql,
  PG_PLACEHOLDER,
  quarantineCountSql,
  quarantineListing,
  type Listing,
  type SqlText,
} from "./filter-sql.js";
import type {
  AlertFilter,
  BilledItemFilter,
  BilledItemRecord,
  BilledItemStoreOutcome,
  AlertRecord,
  ApiTokenRecord,
  Device,
  DeviceRegistration,
  DeviceStatusRecord,
  EventFilter,
  EventRecord,
  EventStoreOutcome,
  GatewayStore,
  IngestBatch,
  IngestBatchResult,
  Page,
  PageRequest,
  QuarantineCount,
  QuarantineFilter,
  QuarantineRecord,
  RegisterOutcome,
  SequenceStats,
  StoredAlert,
  StoredQuarantine,
} from "./gateway-store.js";
import { pendingMigrations } from "./migration.js";
import type {
  ProvisioningTokenRecord,
  SiteTemplateKeyRecord,
  StoredTemplate,
  TemplateRecord,
  TemplateStoreOutcome,
  TokenClaim,
} from "./provisioning-records.js";
import {
  decideClaim,
  PROVISIONING_TOKEN_COLUMNS,
  provisioningTokenFromRow,
  siteTemplateKeyFromRow,
  TEMPLATE_COLUMNS,
  templateFromRow,
  templateValues,
  type ProvisioningTokenRow,
  type SiteTemplateKeyRow,
  type TemplateRow,
} from "./provisioning-rows.js";
import { checkLimit, decodeCursor, toPage, type PagePosition } from "./page-cursor.js";
import { PG_MIGRATIONS } from "./pg-migrations.js";
import { StoreError } from "./store-error.js";
import {
  ALERT_COLUMNS,
  BILLED_ITEM_COLUMNS,
  billedItemFromRow,
  billedItemOutcome,
  billedItemValues,
  ALERT_INSERT_COLUMNS,
  alertFromRow,
  alertValues,
  API_TOKEN_COLUMNS,
  apiTokenFromRow,
  DEVICE_COLUMNS,
  deviceFromRow,
  EVENT_COLUMNS,
  eventFromRow,
  eventValues,
  QUARANTINE_INSERT_COLUMNS,
  quarantineCountFromRow,
  quarantineFromRow,
  quarantineValues,
  REGISTRATION_COLUMNS,
  registrationValues,
  STATUS_COLUMNS,
  statusFromRow,
  type AlertRow,
  type ApiTokenRow,
  type DeviceRow,
  type EventRow,
  type QuarantineCountRow,
  type StatusRow,
} from "./store-rows.js";

export interface PgStoreOptions {
  readonly connectionString: string;
  /** A schema of its own (created if absent), e.g. one per test run; default: the server's search_path. */
  readonly schema?: string | undefined;
  /** Pool size; default 10. */
  readonly maxConnections?: number | undefined;
}

/** Plain lowercase identifiers only, so the name needs no quoting in SQL or in the startup options. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Advisory lock classes (the first key of pg_advisory_lock(int, int)), "CWMG" and "CWBX" in ASCII, so
 * these locks never collide with another application's on the same database.
 */
const MIGRATION_LOCK = 0x43574d47;
const BOX_LOCK = 0x43574258;

/** Deadlocks are retried; box locks make them rare (see commitBatch), never impossible. */
const DEADLOCK_DETECTED = "40P01";
const MAX_ATTEMPTS = 3;

/**
 * The shared store: PostgreSQL through a `pg` Pool, for several gateways on one database. Unlike the
 * SQLite store, writes race with other processes, so every write is a single statement or a
 * transaction whose conflicts are settled by unique constraints, never by reading first.
 */
export function openPgStore(options: PgStoreOptions): GatewayStore {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new StoreError("invalid_schema_name", `schema name ${JSON.stringify(options.schema)} is not [a-z_][a-z0-9_]{0,62}`);
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    types: int8AsNumber(),
    // A startup parameter rather than a SET after connect: every pooled connection has it before its
    // first query, with no extra round trip and no window in which a query could see `public`.
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  // An idle connection that breaks (server restart) is dropped by the pool and replaced on next use;
  // without a listener the pool's 'error' event would crash the process.
  pool.on("error", () => undefined);
  return new PgGatewayStore(pool, options.schema);
}

/**
 * BIGINT (int8) arrives as a string by default because it can exceed 2^53; our int8 columns hold ms
 * timestamps, sequence numbers and counts, far below that, so they are parsed to numbers (and a value
 * that would lose precision throws rather than silently rounding).
 */
function int8AsNumber(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (text: string) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} is beyond Number.MAX_SAFE_INTEGER`);
    return value;
  });
  return types;
}

class PgGatewayStore implements GatewayStore {
  private cases: AlertCaseStore | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string | undefined,
  ) {}

  alertCases(): AlertCaseStore {
    return (this.cases ??= sqlAlertCaseStore(pgRunner(this.pool)));
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    // Session-level lock, so two gateways starting at once migrate one after the other; the second
    // then finds nothing pending. Keyed by schema so separate schemas migrate independently.
    const lockKey = [MIGRATION_LOCK, this.schema ?? "public"];
    let broken: Error | undefined;
    try {
      await client.query("SELECT pg_advisory_lock($1, hashtext($2))", lockKey);
      try {
        if (this.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await client.query(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        );
        const applied = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
        for (const migration of pendingMigrations(
          PG_MIGRATIONS,
          applied.rows.map((row) => row.version),
        )) {
          await transaction(client, async () => {
            await client.query(migration.sql);
            await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
              migration.version,
              migration.name,
              Date.now(),
            ]);
          });
        }
      } finally {
        await client.query("SELECT pg_advisory_unlock($1, hashtext($2))", lockKey);
      }
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      // A connection that failed mid-migration may still hold the lock; destroy it rather than reuse it.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async registerDevice(registration: DeviceRegistration, options?: { replaceKey?: boolean }): Promise<RegisterOutcome> {
    const created = await this.pool.query<DeviceRow>(
      `INSERT INTO devices (${REGISTRATION_COLUMNS}, enabled, registered_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)
       ON CONFLICT (box) DO NOTHING RETURNING ${DEVICE_COLUMNS}`,
      [...registrationValues(registration), Date.now()],
    );
    const inserted = firstOf(created, deviceFromRow);
    if (inserted !== undefined) return { result: "created", device: inserted };
    const existing = await this.getDevice(registration.box);
    const decision = decideRegistration(existing, registration, options?.replaceKey ?? false);
    if (existing === undefined || decision.action === "insert") {
      throw new Error(`device ${registration.box} conflicted on insert but cannot be read`);
    }
    switch (decision.action) {
      case "keep":
        return { result: "unchanged", device: existing };
      case "refuse":
        return { result: "conflict", device: existing, detail: decision.detail };
      case "replace": {
        const replaced = await this.pool.query<DeviceRow>(
          `UPDATE devices SET (${REGISTRATION_COLUMNS}) = ($1, $2, $3, $4, $5, $6) WHERE box = $1 RETURNING ${DEVICE_COLUMNS}`,
          [...registrationValues(registration)],
        );
        const device = firstOf(replaced, deviceFromRow);
        if (device === undefined) throw new Error(`device ${registration.box} vanished while its registration was replaced`);
        return { result: "key_replaced", device };
      }
    }
  }

  async setDeviceEnabled(box: string, enabled: boolean): Promise<Device | undefined> {
    const result = await this.pool.query<DeviceRow>(
      `UPDATE devices SET enabled = $2 WHERE box = $1 RETURNING ${DEVICE_COLUMNS}`,
      [box, enabled],
    );
    return firstOf(result, deviceFromRow);
  }

  async getDevice(box: string): Promise<Device | undefined> {
    const result = await this.pool.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE box = $1`, [box]);
    return firstOf(result, deviceFromRow);
  }

  async listDevices(filter: { site?: string | undefined }): Promise<readonly Device[]> {
    const result =
      filter.site === undefined
        ? await this.pool.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices ORDER BY box`)
        : await this.pool.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE site = $1 ORDER BY box`, [
            filter.site,
          ]);
    return result.rows.map(deviceFromRow);
  }

  async recordStatus(status: DeviceStatusRecord): Promise<void> {
    // One statement, so history and state cannot part. A last will is published by the broker whenever
    // it notices the drop, possibly after the box reconnected: an older `at` must not mark it offline.
    await this.pool.query(
      `WITH history AS (
         INSERT INTO device_status (box, state, reason, at, received_at, body) VALUES ($1, $2, $3, $4, $5, $6)
       )
       UPDATE devices SET state = $2, state_changed_at = $4, last_status = $6
       WHERE box = $1 AND (state_changed_at IS NULL OR state_changed_at <= $4)`,
      [status.box, status.state, status.reason, status.at, status.receivedAt, status.body],
    );
  }

  async statusHistory(box: string, limit: number): Promise<readonly DeviceStatusRecord[]> {
    checkLimit(limit);
    const result = await this.pool.query<StatusRow>(
      `SELECT ${STATUS_COLUMNS} FROM device_status WHERE box = $1 ORDER BY at DESC, id DESC LIMIT $2`,
      [box, limit],
    );
    return result.rows.map(statusFromRow);
  }

  /**
   * A handful of statements for the whole batch, whatever its size. Events first take a transaction
   * lock per box, in a fixed order: two gateways handed overlapping events (an MQTT redelivery) then
   * queue on the box instead of deadlocking on each other's uncommitted rows. Within the lock, one
   * INSERT ... ON CONFLICT DO NOTHING in input order decides which events are stored, and the rest
   * are classified against what the table holds afterwards (this batch's rows included).
   */
  async commitBatch(batch: IngestBatch): Promise<IngestBatchResult> {
    return this.inTransaction(async (client) => {
      const events = await storeEvents(client, batch.events);
      await storeQuarantine(client, batch.quarantine);
      const stored = storedEventIds(batch.events, events);
      const raisedAlerts = await storeAlerts(
        client,
        batch.alerts.filter(({ eventId }) => stored.has(eventId)),
      );
      return { events, raisedAlerts };
    });
  }

  async getEvent(id: string): Promise<EventRecord | undefined> {
    const result = await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`, [id]);
    return firstOf(result, eventFromRow);
  }

  queryEvents(filter: EventFilter, page: PageRequest): Promise<Page<EventRecord>> {
    return this.page(eventListing(filter), page, "text", eventFromRow, (e) => ({ at: e.occurredAt, id: e.id }));
  }

  countEvents(filter: EventFilter): Promise<number> {
    return this.count(countSql(eventListing(filter), PG_PLACEHOLDER));
  }

  async sequenceStats(box: string): Promise<SequenceStats> {
    const result = await this.pool.query<{ stored: number; max_seq: number }>(
      "SELECT count(*) AS stored, coalesce(max(seq), 0) AS max_seq FROM events WHERE box = $1",
      [box],
    );
    const stored = result.rows[0]?.stored ?? 0;
    const maxSeq = result.rows[0]?.max_seq ?? 0;
    return { box, stored, maxSeq, missing: maxSeq - stored };
  }

  queryQuarantine(filter: QuarantineFilter, page: PageRequest): Promise<Page<StoredQuarantine>> {
    return this.page(quarantineListing(filter), page, "integer", quarantineFromRow, (q) => ({ at: q.receivedAt, id: q.id }));
  }

  async countQuarantine(filter: QuarantineFilter): Promise<readonly QuarantineCount[]> {
    const sql = quarantineCountSql(filter, PG_PLACEHOLDER);
    const result = await this.pool.query<QuarantineCountRow>(sql.text, [...sql.values]);
    return result.rows.map(quarantineCountFromRow);
  }

  async countAttestations(filter: AttestationFilter): Promise<readonly AttestationCount[]> {
    const sql = attestedEventsSql(filter, PG_PLACEHOLDER);
    const result = await this.pool.query<AttestedEventRow>(sql.text, [...sql.values]);
    return attestationCountsOf(result.rows);
  }

  queryAlerts(filter: AlertFilter, page: PageRequest): Promise<Page<StoredAlert>> {
    return this.page(alertListing(filter), page, "text", alertFromRow, (a) => ({ at: a.raisedAt, id: a.id }));
  }

  async unpublishedAlerts(limit: number): Promise<readonly StoredAlert[]> {
    checkLimit(limit);
    const result = await this.pool.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE published_at IS NULL ORDER BY raised_at, id LIMIT $1`,
      [limit],
    );
    return result.rows.map(alertFromRow);
  }

  async markAlertsPublished(ids: readonly string[], at: number): Promise<void> {
    // The first publication time stands: a re-publish after a crash is not a new publication.
    await this.pool.query("UPDATE alerts SET published_at = $2 WHERE id = ANY($1::text[]) AND published_at IS NULL", [
      ids,
      at,
    ]);
  }

  async storeBilledItems(items: readonly BilledItemRecord[]): Promise<readonly BilledItemStoreOutcome[]> {
    if (items.length === 0) return [];
    const client = await this.pool.connect();
    try {
      return await transaction(client, async () => {
        // One statement for the batch. Rows insert by id (so two gateways importing overlapping files
        // take row locks in one order and cannot deadlock), then by input position (so the first of
        // two rows with one id is the one stored, as if they had arrived one by one).
        const columns = BILLED_ITEM_COLUMNS.split(", ");
        const rows = items.map((item) => billedItemValues(item));
        const arrays = columns.map((_, c) => rows.map((row) => row[c]));
        const types = ["text", "text", "text", "text", "text", "bigint", "text", "text", "bigint"];
        const inserted = await client.query<{ id: string }>(
          `INSERT INTO billed_items (${BILLED_ITEM_COLUMNS})
           SELECT ${columns.join(", ")} FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(", ")}) WITH ORDINALITY AS t(${columns.join(", ")}, ord)
           ORDER BY id, ord ON CONFLICT DO NOTHING RETURNING id`,
          arrays,
        );
        const fresh = new Set(inserted.rows.map((row) => row.id));
        const existing = await client.query<{ id: string; body_hash: string }>("SELECT id, body_hash FROM billed_items WHERE id = ANY($1::text[])", [
          items.filter((item) => !fresh.has(item.id)).map((item) => item.id),
        ]);
        const storedHash = new Map(existing.rows.map((row) => [row.id, row.body_hash]));
        return items.map((item): BilledItemStoreOutcome => {
          if (fresh.delete(item.id)) return { result: "stored" };
          const stored = storedHash.get(item.id) ?? items.find((other) => other.id === item.id)?.bodyHash;
          if (stored === undefined) throw new Error(`billed item ${item.id} conflicted on insert but cannot be read`);
          return billedItemOutcome(stored, item);
        });
      });
    } finally {
      client.release();
    }
  }

  queryBilledItems(filter: BilledItemFilter, page: PageRequest): Promise<Page<BilledItemRecord>> {
    return this.page(billedItemListing(filter), page, "text", billedItemFromRow, (b) => ({ at: b.serviceAt, id: b.id }));
  }

  async createApiToken(token: ApiTokenRecord): Promise<void> {
    await this.pool.query(`INSERT INTO api_tokens (${API_TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, [
      token.name,
      token.role,
      token.site,
      token.tokenHash,
      token.createdAt,
    ]);
  }

  async findApiToken(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    const result = await this.pool.query<ApiTokenRow>(
      `SELECT ${API_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    return firstOf(result, apiTokenFromRow);
  }

  async createProvisioningToken(token: ProvisioningTokenRecord): Promise<void> {
    await this.pool.query(`INSERT INTO provisioning_tokens (${PROVISIONING_TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL)`, [
      token.tokenHash,
      token.box,
      token.site,
      token.role,
      token.location,
      token.mqttUrl,
      token.replaceKey,
      token.createdBy,
      token.createdAt,
      token.expiresAt,
    ]);
  }

  /** One conditional UPDATE claims the token, so of two keys racing for it exactly one wins. */
  async claimProvisioningToken(tokenHash: string, keyId: string, at: number): Promise<TokenClaim> {
    const claimed = await this.pool.query<ProvisioningTokenRow>(
      `UPDATE provisioning_tokens SET used_at = $3, used_by_key = $2
       WHERE token_hash = $1 AND used_by_key IS NULL AND expires_at > $3 RETURNING ${PROVISIONING_TOKEN_COLUMNS}`,
      [tokenHash, keyId, at],
    );
    const token = firstOf(claimed, provisioningTokenFromRow);
    if (token !== undefined) return { result: "claimed", token };
    const stored = await this.pool.query<ProvisioningTokenRow>(`SELECT ${PROVISIONING_TOKEN_COLUMNS} FROM provisioning_tokens WHERE token_hash = $1`, [tokenHash]);
    const decision = decideClaim(firstOf(stored, provisioningTokenFromRow), keyId, at);
    if (decision.result === "claim") throw new Error("provisioning token claimable after its conditional claim failed");
    return decision;
  }

  async siteTemplateKey(candidate: SiteTemplateKeyRecord): Promise<SiteTemplateKeyRecord> {
    await this.pool.query("INSERT INTO site_template_keys (site, key_id, wrapped_key, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (site) DO NOTHING", [
      candidate.site,
      candidate.keyId,
      candidate.wrappedKey,
      candidate.createdAt,
    ]);
    const stored = await this.pool.query<SiteTemplateKeyRow>("SELECT site, key_id, wrapped_key, created_at FROM site_template_keys WHERE site = $1", [candidate.site]);
    const record = firstOf(stored, siteTemplateKeyFromRow);
    if (record === undefined) throw new Error(`template key of ${candidate.site} vanished after its insert`);
    return record;
  }

  /**
   * The sequence row's upsert locks it until commit, so a second upload of the same institution waits
   * and takes the next number only after the first committed: sequence order is commit order.
   */
  async storeTemplate(template: TemplateRecord): Promise<TemplateStoreOutcome> {
    return this.inTransaction(async (client) => {
      const seqResult = await client.query<{ last_seq: number }>(
        "INSERT INTO template_sequences (site, last_seq) VALUES ($1, 1) ON CONFLICT (site) DO UPDATE SET last_seq = template_sequences.last_seq + 1 RETURNING last_seq",
        [template.site],
      );
      // Checked after taking the row lock, so a concurrent upload of the same body has committed by now.
      const existing = await client.query<{ seq: number }>("SELECT seq FROM face_templates WHERE site = $1 AND body_hash = $2", [template.site, template.bodyHash]);
      const existingSeq = existing.rows[0]?.seq;
      if (existingSeq !== undefined) {
        await client.query("UPDATE template_sequences SET last_seq = last_seq - 1 WHERE site = $1", [template.site]);
        return { result: "duplicate", seq: existingSeq };
      }
      const seq = seqResult.rows[0]?.last_seq;
      if (seq === undefined) throw new Error(`no template sequence number for ${template.site}`);
      await client.query(`INSERT INTO face_templates (${TEMPLATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, templateValues(template, seq));
      return { result: "stored", seq };
    });
  }

  async templatesAfter(site: string, afterSeq: number, limit: number): Promise<readonly StoredTemplate[]> {
    checkLimit(limit);
    const result = await this.pool.query<TemplateRow>(`SELECT ${TEMPLATE_COLUMNS} FROM face_templates WHERE site = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [
      site,
      afterSeq,
      limit,
    ]);
    return result.rows.map(templateFromRow);
  }

  private async page<T>(
    listing: Listing,
    request: PageRequest,
    idType: "text" | "integer",
    // A row is whatever the listing's SQL selects; the mapper's parameter type states that shape.
    fromRow: (row: never) => T,
    positionOf: (item: T) => PagePosition,
  ): Promise<Page<T>> {
    checkLimit(request.limit);
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, idType);
    const sql = pageSql(listing, after, request.limit, PG_PLACEHOLDER);
    const result = await this.pool.query(sql.text, [...sql.values]);
    return toPage(
      result.rows.map((row) => fromRow(row as never)),
      request.limit,
      positionOf,
    );
  }

  private async count(sql: SqlText): Promise<number> {
    const result = await this.pool.query<{ count: number }>(sql.text, [...sql.values]);
    return result.rows[0]?.count ?? 0;
  }

  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        return await transaction(client, () => work(client));
      } catch (error) {
        if (attempt < MAX_ATTEMPTS && error instanceof pg.DatabaseError && error.code === DEADLOCK_DETECTED) continue;
        if (!(error instanceof pg.DatabaseError)) broken = error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
        // A connection that failed for a reason other than the database refusing a statement (a lost
        // socket, a bug mid-transaction) is destroyed rather than handed to the next caller.
        client.release(broken);
      }
    }
  }
}

async function transaction<T>(client: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await work();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}

async function storeEvents(client: pg.PoolClient, events: readonly EventRecord[]): Promise<EventStoreOutcome[]> {
  if (events.length === 0) return [];
  await client.query({
    name: "cw_lock_boxes",
    text: `SELECT pg_advisory_xact_lock($1, key) FROM (
             SELECT DISTINCT hashtext(current_schema() || '/' || box) AS key FROM unnest($2::text[]) AS box ORDER BY key
           ) AS boxes`,
    values: [BOX_LOCK, [...new Set(events.map((e) => e.box))]],
  });
  // ORDER BY ord: rows insert in input order, so within the batch the first of two conflicting
  // events is the one stored, exactly as if they had arrived one by one.
  const inserted = await client.query<{ id: string; box: string; seq: number }>({
    name: "cw_insert_events",
    text: `INSERT INTO events (${EVENT_COLUMNS})
           SELECT ${EVENT_COLUMNS} FROM unnest(
             $1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
             $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[]
           ) WITH ORDINALITY AS batch(${EVENT_COLUMNS}, ord)
           ORDER BY ord
           ON CONFLICT DO NOTHING
           RETURNING id, box, seq`,
    values: columnArrays(events.map(eventValues)),
  });
  const stored = storedIndexes(events, inserted.rows);
  const unstored = events.filter((_, index) => !stored.has(index));
  if (unstored.length === 0) return events.map(() => ({ result: "stored" }));

  const holders = await client.query<{ id: string; box: string; seq: number; body_hash: string }>({
    name: "cw_event_holders",
    text: `SELECT id, box, seq, body_hash FROM events WHERE id = ANY($1::text[])
           UNION
           SELECT e.id, e.box, e.seq, e.body_hash FROM events e
             JOIN unnest($2::text[], $3::bigint[]) AS taken(box, seq) ON e.box = taken.box AND e.seq = taken.seq`,
    values: [unstored.map((e) => e.id), unstored.map((e) => e.box), unstored.map((e) => e.seq)],
  });
  const byId = new Map(holders.rows.map((row) => [row.id, { bodyHash: row.body_hash }]));
  const bySequence = new Map(holders.rows.map((row) => [sequenceKey(row.box, row.seq), { id: row.id }]));
  return events.map((event, index) =>
    stored.has(index)
      ? { result: "stored" }
      : classifyUnstored(event, byId.get(event.id), bySequence.get(sequenceKey(event.box, event.seq))),
  );
}

/**
 * Which input positions the returned rows came from. Two inputs with the same id, box and seq cannot
 * both insert, and the first of them is tried first, so a returned row belongs to the first match.
 */
function storedIndexes(
  events: readonly EventRecord[],
  rows: readonly { id: string; box: string; seq: number }[],
): Set<number> {
  const firstPosition = new Map<string, number>();
  events.forEach((event, index) => {
    const key = eventKey(event.id, event.box, event.seq);
    if (!firstPosition.has(key)) firstPosition.set(key, index);
  });
  const stored = new Set<number>();
  for (const row of rows) {
    const index = firstPosition.get(eventKey(row.id, row.box, row.seq));
    if (index !== undefined) stored.add(index);
  }
  return stored;
}

function eventKey(id: string, box: string, seq: number): string {
  return `${id}\u0000${sequenceKey(box, seq)}`;
}

function sequenceKey(box: string, seq: number): string {
  return `${box}\u0000${seq}`;
}

/**
 * Quarantine is merged by payload hash before it is sent: one INSERT ... ON CONFLICT DO UPDATE may
 * not touch a row twice, and the same bad message can arrive twice in one batch. Rows go in hash
 * order so two gateways updating the same rows take their locks in the same order.
 */
async function storeQuarantine(client: pg.PoolClient, records: readonly QuarantineRecord[]): Promise<void> {
  if (records.length === 0) return;
  const merged = new Map<string, { record: QuarantineRecord; occurrences: number; lastSeenAt: number }>();
  for (const record of records) {
    const seen = merged.get(record.payloadHash);
    if (seen === undefined) merged.set(record.payloadHash, { record, occurrences: 1, lastSeenAt: record.receivedAt });
    else merged.set(record.payloadHash, { ...seen, occurrences: seen.occurrences + 1, lastSeenAt: Math.max(seen.lastSeenAt, record.receivedAt) });
  }
  const rows = [...merged.values()].sort((a, b) => compareText(a.record.payloadHash, b.record.payloadHash));
  await client.query({
    name: "cw_upsert_quarantine",
    text: `INSERT INTO quarantine (${QUARANTINE_INSERT_COLUMNS}, occurrences, last_seen_at)
           SELECT * FROM unnest(
             $1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::text[], $9::bytea[], $10::integer[], $11::text[], $12::text[], $13::integer[], $14::bigint[]
           )
           ON CONFLICT (payload_hash) DO UPDATE SET
             occurrences = quarantine.occurrences + excluded.occurrences,
             last_seen_at = GREATEST(quarantine.last_seen_at, excluded.last_seen_at)`,
    values: columnArrays(rows.map((r) => [...quarantineValues(r.record), r.occurrences, r.lastSeenAt])),
  });
}

/**
 * Inserts the alerts (already limited to newly stored events) whose id is new, and returns those, in
 * input order. Sorted by id then input position: lock order is the same in every gateway, and of two
 * alerts with one id the first in the batch is the one inserted.
 */
async function storeAlerts(
  client: pg.PoolClient,
  alerts: IngestBatch["alerts"],
): Promise<IngestBatchResult["raisedAlerts"]> {
  if (alerts.length === 0) return [];
  const inserted = await client.query<{ id: string }>({
    name: "cw_insert_alerts",
    text: `INSERT INTO alerts (${ALERT_INSERT_COLUMNS})
           SELECT ${ALERT_INSERT_COLUMNS} FROM unnest(
             $1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[]
           ) WITH ORDINALITY AS batch(${ALERT_INSERT_COLUMNS}, ord)
           ORDER BY id COLLATE "C", ord
           ON CONFLICT (id) DO NOTHING
           RETURNING id`,
    values: columnArrays(alerts.map(({ alert, eventId }) => alertValues(alert, eventId))),
  });
  const insertedIds = new Set(inserted.rows.map((row) => row.id));
  const raised: AlertRecord[] = [];
  for (const { alert } of alerts) {
    // Deleting as we go: of two alerts with one id, only the first was inserted.
    if (insertedIds.delete(alert.id)) raised.push(alert);
  }
  return raised;
}

/** Rows to one array per column: the shape unnest() takes, so a batch is one statement, not one per row. */
function columnArrays(rows: readonly (readonly unknown[])[]): unknown[][] {
  const width = rows[0]?.length ?? 0;
  return Array.from({ length: width }, (_, column) => rows.map((row) => row[column]));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function firstOf<R extends pg.QueryResultRow, T>(result: pg.QueryResult<R>, fromRow: (row: R) => T): T | undefined {
  const row = result.rows[0];
  return row === undefined ? undefined : fromRow(row);
}
