import Database from "better-sqlite3";
import { attestationCountsOf, attestedEventsSql, type AttestationCount, type AttestationFilter, type AttestedEventRow } from "./attestation-counts.js";
import type { AlertCaseStore } from "./alert-case-records.js";
import { sqlAlertCaseStore } from "./alert-case-sql.js";
import { sqliteRunner } from "./sql-program.js";
import { classifyUnstored, storedEventIds } from "./event-outcome.js";
import { decideRegistration } from "./device-registration.js";
import {
  alertListing,
  billedItemListing,
  countSql,
  eventListing,
  pageSql,
  quarantineCountSql,
  quarantineListing,
  SQLITE_PLACEHOLDER,
  type Listing,
  type SqlText,
  type SqlValue,
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
import { checkLimit, decodeCursor, toPage } from "./page-cursor.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";
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
  type QuarantineCountRow,
  type StatusRow,
} from "./store-rows.js";

export interface SqliteStoreOptions {
  /** A file path, or ":memory:" for a private in-memory database (tests). */
  readonly path: string;
  /** How long a write waits for another connection's write lock before failing; default 5 s. */
  readonly busyTimeoutMs?: number | undefined;
  /**
   * NORMAL (default): in WAL mode a commit survives a process crash, but the last commits can roll
   * back on power loss or an OS crash. FULL syncs the WAL on every commit, so an acked batch survives
   * those too, at the cost of one fsync per batch (sqlite.org/pragma.html#pragma_synchronous).
   */
  readonly synchronous?: "NORMAL" | "FULL" | undefined;
}

type Param = SqlValue | Buffer | null;

/**
 * The single-gateway store: SQLite through better-sqlite3. Calls are synchronous underneath and
 * wrapped in promises for the shared interface. Writes that belong together run in one IMMEDIATE
 * transaction, which takes the write lock up front: a deferred transaction that reads and then writes
 * can fail with SQLITE_BUSY without waiting when a second connection (a CLI, a peer) writes meanwhile.
 */
export function openSqliteStore(options: SqliteStoreOptions): GatewayStore {
  const db = new Database(options.path);
  // WAL lets the API read while ingest writes, and never leaves the file inconsistent in either mode.
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  db.pragma("foreign_keys = ON");
  return new SqliteGatewayStore(db);
}

/** Runs synchronous work as a promise, so a throw becomes a rejection like the PostgreSQL store's. */
function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(work());
  });
}

class SqliteGatewayStore implements GatewayStore {
  /** Prepared statements by SQL text: listing queries vary only with which filters are set. */
  private readonly statements = new Map<string, Database.Statement<Param[]>>();
  private cases: AlertCaseStore | undefined;

  constructor(private readonly db: Database.Database) {}

  migrate(): Promise<void> {
    return settle(() => {
      this.db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",
      );
      this.db
        .transaction(() => {
          const applied = this.all("SELECT version FROM schema_migrations", [], (row: { version: number }) => row.version);
          for (const migration of pendingMigrations(SQLITE_MIGRATIONS, applied)) {
            this.db.exec(migration.sql);
            this.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
              migration.version,
              migration.name,
              Date.now(),
            ]);
          }
        })
        .immediate();
    });
  }

  close(): Promise<void> {
    return settle(() => {
      this.statements.clear();
      this.db.close();
    });
  }

  registerDevice(registration: DeviceRegistration, options?: { replaceKey?: boolean }): Promise<RegisterOutcome> {
    return settle(() =>
      this.db
        .transaction((): RegisterOutcome => {
          const existing = this.device(registration.box);
          const decision = decideRegistration(existing, registration, options?.replaceKey ?? false);
          switch (decision.action) {
            case "insert":
              this.run(
                `INSERT INTO devices (${REGISTRATION_COLUMNS}, enabled, registered_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)`,
                [...registrationValues(registration), Date.now()],
              );
              return { result: "created", device: this.mustDevice(registration.box) };
            case "keep":
              return { result: "unchanged", device: this.mustDevice(registration.box) };
            case "refuse":
              return { result: "conflict", device: this.mustDevice(registration.box), detail: decision.detail };
            case "replace":
              this.run(
                `UPDATE devices SET (${REGISTRATION_COLUMNS}) = (?, ?, ?, ?, ?, ?) WHERE box = ?`,
                [...registrationValues(registration), registration.box],
              );
              return { result: "key_replaced", device: this.mustDevice(registration.box) };
          }
        })
        .immediate(),
    );
  }

  setDeviceEnabled(box: string, enabled: boolean): Promise<Device | undefined> {
    return settle(() => {
      this.run("UPDATE devices SET enabled = ? WHERE box = ?", [enabled ? 1 : 0, box]);
      return this.device(box);
    });
  }

  getDevice(box: string): Promise<Device | undefined> {
    return settle(() => this.device(box));
  }

  listDevices(filter: { site?: string | undefined }): Promise<readonly Device[]> {
    return settle(() =>
      filter.site === undefined
        ? this.all(`SELECT ${DEVICE_COLUMNS} FROM devices ORDER BY box`, [], deviceFromRow)
        : this.all(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE site = ? ORDER BY box`, [filter.site], deviceFromRow),
    );
  }

  recordStatus(status: DeviceStatusRecord): Promise<void> {
    return settle(() => {
      this.db
        .transaction(() => {
          this.run("INSERT INTO device_status (box, state, reason, at, received_at, body) VALUES (?, ?, ?, ?, ?, ?)", [
            status.box,
            status.state,
            status.reason,
            status.at,
            status.receivedAt,
            status.body,
          ]);
          // A last will is published by the broker whenever it notices the drop, possibly after the box
          // has reconnected; its `at` is older then, and must not mark the box offline again.
          this.run(
            "UPDATE devices SET state = ?, state_changed_at = ?, last_status = ? WHERE box = ? AND (state_changed_at IS NULL OR state_changed_at <= ?)",
            [status.state, status.at, status.body, status.box, status.at],
          );
        })
        .immediate();
    });
  }

  statusHistory(box: string, limit: number): Promise<readonly DeviceStatusRecord[]> {
    return settle(() => {
      checkLimit(limit);
      return this.all(
        `SELECT ${STATUS_COLUMNS} FROM device_status WHERE box = ? ORDER BY at DESC, id DESC LIMIT ?`,
        [box, limit],
        (row: StatusRow) => statusFromRow(row),
      );
    });
  }

  commitBatch(batch: IngestBatch): Promise<IngestBatchResult> {
    return settle(() =>
      this.db
        .transaction((): IngestBatchResult => {
          const events = batch.events.map((event) => this.storeEvent(event));
          const stored = storedEventIds(batch.events, events);
          for (const record of batch.quarantine) this.storeQuarantine(record);
          const raisedAlerts: AlertRecord[] = [];
          for (const { alert, eventId } of batch.alerts) {
            if (stored.has(eventId) && this.storeAlert(alert, eventId)) raisedAlerts.push(alert);
          }
          return { events, raisedAlerts };
        })
        .immediate(),
    );
  }

  getEvent(id: string): Promise<EventRecord | undefined> {
    return settle(() => this.one(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`, [id], eventFromRow));
  }

  queryEvents(filter: EventFilter, page: PageRequest): Promise<Page<EventRecord>> {
    return settle(() => this.page(eventListing(filter), page, "text", eventFromRow, (e) => ({ at: e.occurredAt, id: e.id })));
  }

  countEvents(filter: EventFilter): Promise<number> {
    return settle(() => this.count(countSql(eventListing(filter), SQLITE_PLACEHOLDER)));
  }

  sequenceStats(box: string): Promise<SequenceStats> {
    return settle(() => {
      const row = this.one(
        "SELECT count(*) AS stored, coalesce(max(seq), 0) AS max_seq FROM events WHERE box = ?",
        [box],
        (r: { stored: number; max_seq: number }) => r,
      );
      const stored = row?.stored ?? 0;
      const maxSeq = row?.max_seq ?? 0;
      return { box, stored, maxSeq, missing: maxSeq - stored };
    });
  }

  queryQuarantine(filter: QuarantineFilter, page: PageRequest): Promise<Page<StoredQuarantine>> {
    return settle(() =>
      this.page(quarantineListing(filter), page, "integer", quarantineFromRow, (q) => ({ at: q.receivedAt, id: q.id })),
    );
  }

  countQuarantine(filter: QuarantineFilter): Promise<readonly QuarantineCount[]> {
    return settle(() => {
      const sql = quarantineCountSql(filter, SQLITE_PLACEHOLDER);
      return this.all(sql.text, sql.values, (row: QuarantineCountRow) => quarantineCountFromRow(row));
    });
  }

  countAttestations(filter: AttestationFilter): Promise<readonly AttestationCount[]> {
    return settle(() => {
      const sql = attestedEventsSql(filter, SQLITE_PLACEHOLDER);
      return attestationCountsOf(this.all(sql.text, sql.values, (row: AttestedEventRow) => row));
    });
  }

  queryAlerts(filter: AlertFilter, page: PageRequest): Promise<Page<StoredAlert>> {
    return settle(() => this.page(alertListing(filter), page, "text", alertFromRow, (a) => ({ at: a.raisedAt, id: a.id })));
  }

  unpublishedAlerts(limit: number): Promise<readonly StoredAlert[]> {
    return settle(() => {
      checkLimit(limit);
      return this.all(
        `SELECT ${ALERT_COLUMNS} FROM alerts WHERE published_at IS NULL ORDER BY raised_at, id LIMIT ?`,
        [limit],
        (row: AlertRow) => alertFromRow(row),
      );
    });
  }

  markAlertsPublished(ids: readonly string[], at: number): Promise<void> {
    return settle(() => {
      this.db
        .transaction(() => {
          // The first publication time stands: a re-publish after a crash is not a new publication.
          for (const id of ids) this.run("UPDATE alerts SET published_at = ? WHERE id = ? AND published_at IS NULL", [at, id]);
        })
        .immediate();
    });
  }

  storeBilledItems(items: readonly BilledItemRecord[]): Promise<readonly BilledItemStoreOutcome[]> {
    return settle(() =>
      this.db
        .transaction(() =>
          items.map((item): BilledItemStoreOutcome => {
            const inserted = this.run(`INSERT INTO billed_items (${BILLED_ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, billedItemValues(item));
            if (inserted.changes === 1) return { result: "stored" };
            const stored = this.one("SELECT body_hash FROM billed_items WHERE id = ?", [item.id], (row: { body_hash: string }) => row.body_hash);
            if (stored === undefined) throw new Error(`billed item ${item.id} conflicted on insert but cannot be read`);
            return billedItemOutcome(stored, item);
          }),
        )
        .immediate(),
    );
  }

  queryBilledItems(filter: BilledItemFilter, page: PageRequest): Promise<Page<BilledItemRecord>> {
    return settle(() => this.page(billedItemListing(filter), page, "text", billedItemFromRow, (b) => ({ at: b.serviceAt, id: b.id })));
  }

  createApiToken(token: ApiTokenRecord): Promise<void> {
    return settle(() => {
      this.run(`INSERT INTO api_tokens (${API_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?)`, [
        token.name,
        token.role,
        token.site,
        token.tokenHash,
        token.createdAt,
      ]);
    });
  }

  findApiToken(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    return settle(() =>
      this.one(`SELECT ${API_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?`, [tokenHash], (row: ApiTokenRow) =>
        apiTokenFromRow(row),
      ),
    );
  }

  createProvisioningToken(token: ProvisioningTokenRecord): Promise<void> {
    return settle(() => {
      this.run(`INSERT INTO provisioning_tokens (${PROVISIONING_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`, [
        token.tokenHash,
        token.box,
        token.site,
        token.role,
        token.location,
        token.mqttUrl,
        token.replaceKey ? 1 : 0,
        token.createdBy,
        token.createdAt,
        token.expiresAt,
      ]);
    });
  }

  claimProvisioningToken(tokenHash: string, keyId: string, at: number): Promise<TokenClaim> {
    return settle(() =>
      this.db
        .transaction((): TokenClaim => {
          const stored = this.one(`SELECT ${PROVISIONING_TOKEN_COLUMNS} FROM provisioning_tokens WHERE token_hash = ?`, [tokenHash], (row: ProvisioningTokenRow) =>
            provisioningTokenFromRow(row),
          );
          const decision = decideClaim(stored, keyId, at);
          if (decision.result !== "claim") return decision;
          this.run("UPDATE provisioning_tokens SET used_at = ?, used_by_key = ? WHERE token_hash = ?", [at, keyId, tokenHash]);
          return { result: "claimed", token: { ...decision.token, usedAt: at, usedByKey: keyId } };
        })
        .immediate(),
    );
  }

  siteTemplateKey(candidate: SiteTemplateKeyRecord): Promise<SiteTemplateKeyRecord> {
    return settle(() => {
      this.run("INSERT INTO site_template_keys (site, key_id, wrapped_key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (site) DO NOTHING", [
        candidate.site,
        candidate.keyId,
        candidate.wrappedKey,
        candidate.createdAt,
      ]);
      const stored = this.one("SELECT site, key_id, wrapped_key, created_at FROM site_template_keys WHERE site = ?", [candidate.site], (row: SiteTemplateKeyRow) =>
        siteTemplateKeyFromRow(row),
      );
      if (stored === undefined) throw new Error(`template key of ${candidate.site} vanished after its insert`);
      return stored;
    });
  }

  storeTemplate(template: TemplateRecord): Promise<TemplateStoreOutcome> {
    return settle(() =>
      this.db
        .transaction((): TemplateStoreOutcome => {
          const existing = this.one("SELECT seq FROM face_templates WHERE site = ? AND body_hash = ?", [template.site, template.bodyHash], (row: { seq: number }) => row.seq);
          if (existing !== undefined) return { result: "duplicate", seq: existing };
          const seq = this.one(
            "INSERT INTO template_sequences (site, last_seq) VALUES (?, 1) ON CONFLICT (site) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
            [template.site],
            (row: { last_seq: number }) => row.last_seq,
          );
          if (seq === undefined) throw new Error(`no template sequence number for ${template.site}`);
          this.run(`INSERT INTO face_templates (${TEMPLATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, templateValues(template, seq));
          return { result: "stored", seq };
        })
        .immediate(),
    );
  }

  templatesAfter(site: string, afterSeq: number, limit: number): Promise<readonly StoredTemplate[]> {
    return settle(() => {
      checkLimit(limit);
      return this.all(`SELECT ${TEMPLATE_COLUMNS} FROM face_templates WHERE site = ? AND seq > ? ORDER BY seq LIMIT ?`, [site, afterSeq, limit], (row: TemplateRow) =>
        templateFromRow(row),
      );
    });
  }

  alertCases(): AlertCaseStore {
    return (this.cases ??= sqlAlertCaseStore(sqliteRunner(this.db)));
  }

  /** Inserts one event unless its id or its (box, seq) is taken, by this batch or before it. */
  private storeEvent(event: EventRecord): EventStoreOutcome {
    const inserted = this.run(
      `INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      eventValues(event),
    );
    if (inserted.changes === 1) return { result: "stored" };
    const sameId = this.one("SELECT body_hash FROM events WHERE id = ?", [event.id], (row: { body_hash: string }) => ({
      bodyHash: row.body_hash,
    }));
    const sameSequence = this.one("SELECT id FROM events WHERE box = ? AND seq = ?", [event.box, event.seq], (row: { id: string }) => row);
    return classifyUnstored(event, sameId, sameSequence);
  }

  /** The same bad message again (same payload hash) counts as another occurrence of the first. */
  private storeQuarantine(record: QuarantineRecord): void {
    this.run(
      `INSERT INTO quarantine (${QUARANTINE_INSERT_COLUMNS}, occurrences, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
       ON CONFLICT (payload_hash) DO UPDATE SET occurrences = occurrences + 1, last_seen_at = max(last_seen_at, excluded.last_seen_at)`,
      [...quarantineValues(record), record.receivedAt],
    );
  }

  /** True if the alert is new; an alert id that exists was raised before and is not raised again. */
  private storeAlert(alert: AlertRecord, eventId: string): boolean {
    const inserted = this.run(
      `INSERT INTO alerts (${ALERT_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      alertValues(alert, eventId),
    );
    return inserted.changes === 1;
  }

  private page<T>(
    listing: Listing,
    request: PageRequest,
    idType: "text" | "integer",
    fromRow: (row: never) => T,
    positionOf: (item: T) => { at: number; id: string | number },
  ): Page<T> {
    checkLimit(request.limit);
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, idType);
    const sql = pageSql(listing, after, request.limit, SQLITE_PLACEHOLDER);
    return toPage(this.all(sql.text, sql.values, fromRow), request.limit, positionOf);
  }

  private count(sql: SqlText): number {
    return this.one(sql.text, sql.values, (row: { count: number }) => row.count) ?? 0;
  }

  private device(box: string): Device | undefined {
    return this.one(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE box = ?`, [box], (row: DeviceRow) => deviceFromRow(row));
  }

  private mustDevice(box: string): Device {
    const device = this.device(box);
    if (device === undefined) throw new Error(`device ${box} vanished inside its own transaction`);
    return device;
  }

  private statement(sql: string): Database.Statement<Param[]> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<Param[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private run(sql: string, params: readonly Param[]): Database.RunResult {
    return this.statement(sql).run(...params);
  }

  // A row is whatever its SQL selects; the mapper's parameter type states that shape (store-rows.ts).
  private one<T>(sql: string, params: readonly Param[], fromRow: (row: never) => T): T | undefined {
    const row = this.statement(sql).get(...params);
    return row === undefined ? undefined : fromRow(row as never);
  }

  private all<T>(sql: string, params: readonly Param[], fromRow: (row: never) => T): T[] {
    return this.statement(sql).all(...params).map((row) => fromRow(row as never));
  }
}
