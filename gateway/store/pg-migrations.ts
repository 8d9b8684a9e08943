import { alertCaseSchema } from "./alert-case-schema.js";
import type { Migration } from "./migration.js";

/**
 * The PostgreSQL schema as ordered migrations (see migration.ts), the same tables and names as
 * sqlite-migrations.ts. Times are BIGINT ms since epoch (the pool parses int8 to a JS number).
 * Unqualified names: the store's search_path decides the schema. Key columns use COLLATE "C" (byte
 * order, as SQLite compares text) so both stores list and page in the same order whatever the
 * database's locale.
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
      CREATE TABLE devices (
        box TEXT COLLATE "C" PRIMARY KEY,
        site TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('dialysis_station', 'ward_round')),
        location TEXT,
        public_key TEXT NOT NULL,
        key_id TEXT NOT NULL,
        enabled BOOLEAN NOT NULL DEFAULT TRUE,
        registered_at BIGINT NOT NULL,
        state TEXT CHECK (state IN ('online', 'offline')),
        state_changed_at BIGINT,
        last_status TEXT
      );
      CREATE INDEX devices_by_site ON devices (site, box);

      -- No foreign key to devices: a status from a box not yet registered is still worth keeping.
      CREATE TABLE device_status (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        box TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('online', 'offline')),
        reason TEXT NOT NULL,
        at BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX device_status_by_box ON device_status (box, at, id);

      CREATE TABLE events (
        id TEXT COLLATE "C" PRIMARY KEY,
        site TEXT NOT NULL,
        box TEXT NOT NULL REFERENCES devices (box),
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        occurred_at BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        subject_ref TEXT,
        body_hash TEXT NOT NULL,
        body TEXT NOT NULL,
        gateway_id TEXT NOT NULL,
        CONSTRAINT events_box_seq UNIQUE (box, seq)
      );
      CREATE INDEX events_by_time ON events (occurred_at, id);
      CREATE INDEX events_by_site ON events (site, occurred_at, id);
      CREATE INDEX events_by_box ON events (box, occurred_at, id);
      CREATE INDEX events_by_subject ON events (subject_ref, occurred_at, id) WHERE subject_ref IS NOT NULL;

      CREATE TABLE quarantine (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_at BIGINT NOT NULL,
        topic TEXT NOT NULL,
        site TEXT,
        box TEXT,
        event_id TEXT,
        step TEXT NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        payload BYTEA NOT NULL,
        payload_bytes INTEGER NOT NULL,
        payload_hash TEXT NOT NULL UNIQUE,
        gateway_id TEXT NOT NULL,
        occurrences INTEGER NOT NULL DEFAULT 1,
        last_seen_at BIGINT NOT NULL
      );
      CREATE INDEX quarantine_by_time ON quarantine (received_at, id);
      CREATE INDEX quarantine_by_site ON quarantine (site, received_at, id);
      CREATE INDEX quarantine_by_box ON quarantine (box, received_at, id);
      CREATE INDEX quarantine_by_reason ON quarantine (reason, received_at, id);

      CREATE TABLE alerts (
        id TEXT COLLATE "C" PRIMARY KEY,
        kind TEXT NOT NULL,
        site TEXT NOT NULL,
        raised_at BIGINT NOT NULL,
        subject_ref TEXT,
        body TEXT NOT NULL,
        -- The event whose storing raised the alert: the audit trail from an alert back to its cause.
        event_id TEXT NOT NULL REFERENCES events (id),
        published_at BIGINT
      );
      CREATE INDEX alerts_by_time ON alerts (raised_at, id);
      CREATE INDEX alerts_by_site ON alerts (site, raised_at, id);
      CREATE INDEX alerts_unpublished ON alerts (raised_at, id) WHERE published_at IS NULL;

      CREATE TABLE api_tokens (
        token_hash TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'hospital')),
        site TEXT,
        created_at BIGINT NOT NULL,
        CHECK (role <> 'hospital' OR site IS NOT NULL)
      );
    `,
  },
  {
    version: 2,
    name: "billed items",
    sql: `
      -- Billed lines (gateway/billing): the raw ID number never gets here, only patient_ref.
      CREATE TABLE billed_items (
        id TEXT COLLATE "C" PRIMARY KEY,
        institution TEXT NOT NULL,
        line_id TEXT NOT NULL,
        patient_ref TEXT NOT NULL,
        category TEXT NOT NULL,
        service_at BIGINT NOT NULL,
        body_hash TEXT NOT NULL,
        body TEXT NOT NULL,
        imported_at BIGINT NOT NULL,
        UNIQUE (institution, line_id)
      );
      CREATE INDEX billed_items_by_time ON billed_items (service_at, id);
      CREATE INDEX billed_items_by_institution ON billed_items (institution, service_at, id);
      CREATE INDEX billed_items_by_patient ON billed_items (patient_ref, service_at, id);
    `,
  },
  {
    version: 3,
    name: "provisioning and template sync",
    sql: `
      -- One-time provisioning tokens (gateway/provisioning): only the SHA-256 of the token is kept.
      -- A token is claimed by the first box key that redeems it; the same key may redeem it again
      -- (a retry after a lost answer), any other key is refused.
      CREATE TABLE provisioning_tokens (
        token_hash TEXT COLLATE "C" PRIMARY KEY,
        box TEXT NOT NULL,
        site TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('dialysis_station', 'ward_round')),
        location TEXT,
        mqtt_url TEXT NOT NULL,
        replace_key BOOLEAN NOT NULL DEFAULT FALSE,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        used_by_key TEXT
      );
      CREATE INDEX provisioning_tokens_by_box ON provisioning_tokens (box);

      -- Each institution's template key, stored only wrapped (AES-256-GCM) under the gateway's
      -- key-wrapping key, which is not in the database.
      CREATE TABLE site_template_keys (
        site TEXT COLLATE "C" PRIMARY KEY,
        key_id TEXT NOT NULL,
        wrapped_key BYTEA NOT NULL,
        created_at BIGINT NOT NULL
      );

      -- Per-institution template sequence: taken by an upsert inside the inserting transaction, so
      -- sequence order is commit order and a box pulling "after seq N" never skips a late commit.
      CREATE TABLE template_sequences (
        site TEXT COLLATE "C" PRIMARY KEY,
        last_seq BIGINT NOT NULL
      );

      -- Enrolled face templates, still sealed by the enrolling box under its institution's key: the
      -- gateway stores and forwards them, it never decrypts them.
      CREATE TABLE face_templates (
        site TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        person_ref TEXT NOT NULL,
        model TEXT NOT NULL,
        key_id TEXT NOT NULL,
        source_box TEXT NOT NULL,
        enrolled_at BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        body_hash TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (site, seq),
        UNIQUE (site, body_hash)
      );
    `,
  },
  {
    version: 4,
    name: "alert cases, audit log, webhooks, watch list",
    sql: alertCaseSchema("pg"),
  },
];
