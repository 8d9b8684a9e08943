/**
 * The alert back end's tables (migration 4), written once for both engines: `INT` is INTEGER in
 * SQLite and BIGINT in PostgreSQL, `TEXT_ID` adds PostgreSQL's "C" collation where keyset paging
 * compares ids (so both engines order ids bytewise), `STRICT` applies to SQLite only.
 */
export function alertCaseSchema(engine: "sqlite" | "pg"): string {
  const int = engine === "sqlite" ? "INTEGER" : "BIGINT";
  const textId = engine === "sqlite" ? "TEXT" : `TEXT COLLATE "C"`;
  const strict = engine === "sqlite" ? " STRICT" : "";
  const serial = engine === "sqlite" ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY";
  return `
      -- One row per alert, whoever raised it (ingest at once, the rule engine, a watch-listed card):
      -- its lifecycle state and the AlertMessage as published (body). The id is derived from the
      -- cause, so a cause can never have two rows.
      CREATE TABLE alert_cases (
        id ${textId} PRIMARY KEY,
        rule TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        site TEXT NOT NULL,
        patient_ref TEXT,
        occurred_at ${int} NOT NULL,
        raised_at ${int} NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'confirmed', 'dismissed', 'closed', 'auto_resolved')),
        state_changed_at ${int} NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('ingest', 'reconcile', 'watch_list')),
        body TEXT NOT NULL,
        resolution TEXT,
        published_at ${int}
      )${strict};
      CREATE INDEX alert_cases_by_time ON alert_cases (raised_at, id);
      CREATE INDEX alert_cases_by_site ON alert_cases (site, raised_at, id);
      CREATE INDEX alert_cases_by_patient ON alert_cases (patient_ref, state);
      CREATE INDEX alert_cases_unpublished ON alert_cases (raised_at, id) WHERE published_at IS NULL;

      -- Every state an alert went through, with who moved it and why.
      CREATE TABLE alert_transitions (
        id ${serial},
        alert_id TEXT NOT NULL REFERENCES alert_cases (id),
        from_state TEXT,
        to_state TEXT NOT NULL,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT,
        note TEXT,
        at ${int} NOT NULL
      )${strict};
      CREATE INDEX alert_transitions_by_alert ON alert_transitions (alert_id, id);

      -- The change feed the SSE stream and webhooks follow (seq is the SSE event id).
      CREATE TABLE alert_changes (
        seq ${serial},
        alert_id TEXT NOT NULL REFERENCES alert_cases (id),
        site TEXT NOT NULL,
        change TEXT NOT NULL,
        at ${int} NOT NULL
      )${strict};

      -- Append-only, hash-chained: hash = SHA-256(prev_hash + canonical body) (audit-hash.ts).
      CREATE TABLE audit_log (
        seq ${int} PRIMARY KEY,
        at ${int} NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        -- The institution the entry concerns (a hospital token reads its own); null: deployment-wide.
        site TEXT,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )${strict};

      CREATE INDEX audit_log_by_site ON audit_log (site, seq);

      CREATE TABLE webhooks (
        id ${textId} PRIMARY KEY,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        site TEXT,
        created_by TEXT NOT NULL,
        created_at ${int} NOT NULL,
        deleted_at ${int}
      )${strict};

      -- One row per (subscription, change), written in the transaction of the change itself, so a
      -- restart never loses a pending delivery; retried with back-off until a 2xx.
      CREATE TABLE webhook_deliveries (
        id ${serial},
        webhook_id TEXT NOT NULL REFERENCES webhooks (id),
        change_seq ${int} NOT NULL,
        payload TEXT NOT NULL,
        attempts ${int} NOT NULL DEFAULT 0,
        next_attempt_at ${int} NOT NULL,
        delivered_at ${int},
        last_error TEXT,
        UNIQUE (webhook_id, change_seq)
      )${strict};
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE delivered_at IS NULL;

      -- Cards (pseudonymous ref) and faces put on watch by a confirmed impersonation.
      CREATE TABLE watch_list (
        card_ref TEXT NOT NULL,
        site TEXT NOT NULL,
        face_template_id TEXT,
        alert_id TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_at ${int} NOT NULL,
        PRIMARY KEY (card_ref, site)
      )${strict};

      -- Positions of the incremental rule runner's change feeds.
      CREATE TABLE runner_cursors (
        name TEXT PRIMARY KEY,
        position ${int} NOT NULL
      )${strict};

      CREATE INDEX events_by_received ON events (received_at);
      CREATE INDEX billed_items_by_import ON billed_items (imported_at);
    `;
}
