import { canonicalJson } from "../../protocol/index.js";
import type {
  AlertCase,
  AlertCaseDraft,
  AlertCaseFilter,
  AlertCaseHistory,
  AlertCaseStore,
  AlertChange,
  AlertChangeKind,
  AlertState,
  AlertTransition,
  AuditDraft,
  AuditEntry,
  OccurredRange,
  TransitionOutcome,
  TransitionRequest,
  UnadoptedAlert,
  UpsertOutcome,
  VerdictCount,
  WatchListEntry,
  WebhookDelivery,
  WebhookRecord,
} from "./alert-case-records.js";
import { AUDIT_GENESIS_HASH, auditEntryHash, type AuditBody } from "./audit-hash.js";
import { conditionClauses, pageSql, SQLITE_PLACEHOLDER, type Listing, type SqlValue } from "./filter-sql.js";
import type { Page, PageRequest } from "./gateway-store.js";
import { checkLimit, decodeCursor, toPage } from "./page-cursor.js";
import { all, lock, one, run, type SqlProgram, type SqlRunner } from "./sql-program.js";
import { alertFromRow, BILLED_ITEM_COLUMNS, billedItemFromRow, type AlertRow, type BilledItemRow } from "./store-rows.js";

/** The AlertCaseStore over either engine (see sql-program.ts). */

const CASE_COLUMNS = "id, rule, kind, severity, site, patient_ref, occurred_at, raised_at, state, state_changed_at, source, body, resolution, published_at";

interface CaseRow {
  readonly id: string;
  readonly rule: string;
  readonly kind: AlertCase["kind"];
  readonly severity: AlertCase["severity"];
  readonly site: string;
  readonly patient_ref: string | null;
  readonly occurred_at: number;
  readonly raised_at: number;
  readonly state: AlertState;
  readonly state_changed_at: number;
  readonly source: AlertCase["source"];
  readonly body: string;
  readonly resolution: string | null;
  readonly published_at: number | null;
}

function caseFromRow(row: CaseRow): AlertCase {
  return {
    id: row.id,
    rule: row.rule,
    kind: row.kind,
    severity: row.severity,
    site: row.site,
    patientRef: row.patient_ref,
    occurredAt: row.occurred_at,
    raisedAt: row.raised_at,
    state: row.state,
    stateChangedAt: row.state_changed_at,
    source: row.source,
    body: row.body,
    resolution: row.resolution,
    publishedAt: row.published_at,
  };
}

/** An audit_log row: the hashed body's columns carry the body's own names. */
interface AuditRow extends AuditBody {
  readonly prev_hash: string;
  readonly hash: string;
}

const auditFromRow = (r: AuditRow): AuditEntry => ({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, site: r.site, detail: r.detail, prevHash: r.prev_hash, hash: r.hash });

/** The published body keeps the time the alert was first raised, whatever later updates carry. */
function withRaisedAt(body: string, raisedAt: number): string {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  return JSON.stringify({ ...parsed, raisedAt: new Date(raisedAt).toISOString() });
}

/** What a webhook receives for a change: the alert as published, with its lifecycle state. */
export function changePayload(alert: AlertCase, change: AlertChangeKind, seq: number, at: number): string {
  const message = JSON.parse(alert.body) as Record<string, unknown>;
  return JSON.stringify({
    type: `alert.${change}`,
    seq,
    at: new Date(at).toISOString(),
    alert: { ...message, state: alert.state, stateChangedAt: new Date(alert.stateChangedAt).toISOString(), resolution: alert.resolution === null ? null : (JSON.parse(alert.resolution) as unknown) },
  });
}

interface TransitionRow {
  readonly from_state: AlertState | null;
  readonly to_state: AlertState;
  readonly action: string;
  readonly actor: string;
  readonly reason: string | null;
  readonly note: string | null;
  readonly at: number;
}

const TRANSITION_COLUMNS = "from_state, to_state, action, actor, reason, note, at";

const transitionFromRow = (alertId: string, r: TransitionRow): AlertTransition => ({ alertId, from: r.from_state, to: r.to_state, action: r.action, actor: r.actor, reason: r.reason, note: r.note, at: r.at });

function* getCase(id: string): SqlProgram<AlertCase | undefined> {
  const row = yield* one<CaseRow>(`SELECT ${CASE_COLUMNS} FROM alert_cases WHERE id = ?`, [id]);
  return row === undefined ? undefined : caseFromRow(row);
}

function* mustCase(id: string): SqlProgram<AlertCase> {
  const found = yield* getCase(id);
  if (found === undefined) throw new Error(`alert case ${id} vanished inside its own transaction`);
  return found;
}

function* appendAudit(draft: AuditDraft): SqlProgram<AuditEntry> {
  yield* lock("audit");
  const last = yield* one<{ seq: number; hash: string }>("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  const seq = (last?.seq ?? 0) + 1;
  const prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
  const detail = canonicalJson(draft.detail);
  const body = { seq, at: draft.at, actor: draft.actor, action: draft.action, subject: draft.subject, site: draft.site, detail };
  const hash = auditEntryHash(prevHash, body);
  yield* run("INSERT INTO audit_log (seq, at, actor, action, subject, site, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
    seq, draft.at, draft.actor, draft.action, draft.subject, draft.site, detail, prevHash, hash,
  ]);
  return { ...body, prevHash, hash };
}

/** Records a change on the feed and queues it for every live webhook that covers the alert's site. */
function* recordChange(alert: AlertCase, change: AlertChangeKind, at: number): SqlProgram<number> {
  const inserted = yield* one<{ seq: number }>("INSERT INTO alert_changes (alert_id, site, change, at) VALUES (?, ?, ?, ?) RETURNING seq", [alert.id, alert.site, change, at]);
  if (inserted === undefined) throw new Error("alert change not recorded");
  const hooks = yield* all<{ id: string }>("SELECT id FROM webhooks WHERE deleted_at IS NULL AND (site IS NULL OR site = ?) ORDER BY id", [alert.site]);
  const payload = changePayload(alert, change, inserted.seq, at);
  for (const hook of hooks) {
    yield* run("INSERT INTO webhook_deliveries (webhook_id, change_seq, payload, attempts, next_attempt_at) VALUES (?, ?, ?, 0, ?)", [hook.id, inserted.seq, payload, at]);
  }
  return inserted.seq;
}

function* recordTransition(t: AlertTransition): SqlProgram<void> {
  yield* run("INSERT INTO alert_transitions (alert_id, from_state, to_state, action, actor, reason, note, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
    t.alertId, t.from, t.to, t.action, t.actor, t.reason, t.note, t.at,
  ]);
}

/** Bodies compared without raisedAt, which each evaluation sets afresh. */
function sameContent(a: string, b: string): boolean {
  const strip = (text: string): string => {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    delete parsed.raisedAt;
    return canonicalJson(parsed);
  };
  return strip(a) === strip(b);
}

const REOPENED = JSON.stringify({ zh: "原自动解除的原因再次成立，告警重新打开。", en: "The cause that had been explained is found again; the alert is re-opened." });

function* upsertCase(draft: AlertCaseDraft, at: number, actor: string, onlyIfNew: boolean): SqlProgram<UpsertOutcome> {
  yield* lock(`alert/${draft.id}`);
  const existing = yield* getCase(draft.id);
  const subject = `alert/${draft.id}`;
  if (existing === undefined) {
    yield* run(`INSERT INTO alert_cases (${CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, NULL, ?)`, [
      draft.id, draft.rule, draft.kind, draft.severity, draft.site, draft.patientRef, draft.occurredAt, at, at, draft.source, withRaisedAt(draft.body, at), draft.published ? at : null,
    ]);
    const alert = yield* mustCase(draft.id);
    yield* recordTransition({ alertId: draft.id, from: null, to: "open", action: "raise", actor, reason: null, note: null, at });
    yield* appendAudit({ at, actor, action: "alert.raised", subject, site: draft.site, detail: { rule: draft.rule, kind: draft.kind, severity: draft.severity, site: draft.site, source: draft.source } });
    yield* recordChange(alert, "raised", at);
    return { result: "raised", alert };
  }
  if (onlyIfNew) return { result: "unchanged", alert: existing };
  const body = withRaisedAt(draft.body, existing.raisedAt);
  const reopen = existing.state === "auto_resolved";
  if (!reopen && sameContent(body, existing.body) && existing.severity === draft.severity) return { result: "unchanged", alert: existing };
  yield* run(
    `UPDATE alert_cases SET body = ?, severity = ?, rule = ?, kind = ?, patient_ref = ?${reopen ? ", state = 'open', state_changed_at = ?, resolution = ?" : ""} WHERE id = ?`,
    reopen ? [body, draft.severity, draft.rule, draft.kind, draft.patientRef, at, REOPENED, draft.id] : [body, draft.severity, draft.rule, draft.kind, draft.patientRef, draft.id],
  );
  const alert = yield* mustCase(draft.id);
  if (reopen) {
    yield* recordTransition({ alertId: draft.id, from: existing.state, to: "open", action: "reopen", actor, reason: "cause found again", note: null, at });
    yield* appendAudit({ at, actor, action: "alert.reopened", subject, site: draft.site, detail: { rule: draft.rule, from: existing.state } });
    yield* recordChange(alert, "state_changed", at);
    return { result: "reopened", alert };
  }
  yield* appendAudit({ at, actor, action: "alert.updated", subject, site: draft.site, detail: { rule: draft.rule, severity: draft.severity } });
  yield* recordChange(alert, "updated", at);
  return { result: "updated", alert };
}

function* transition(request: TransitionRequest): SqlProgram<TransitionOutcome> {
  yield* lock(`alert/${request.id}`);
  const existing = yield* getCase(request.id);
  if (existing === undefined) return { result: "not_found" };
  const decision = request.decide(existing);
  if (decision.result === "refuse") return { result: "refused", alert: existing, detail: decision.detail };
  yield* run("UPDATE alert_cases SET state = ?, state_changed_at = ?, resolution = coalesce(?, resolution) WHERE id = ?", [decision.to, request.at, decision.resolution, request.id]);
  const alert = yield* mustCase(request.id);
  yield* recordTransition({ alertId: request.id, from: existing.state, to: decision.to, action: request.action, actor: request.actor, reason: request.reason, note: request.note, at: request.at });
  yield* appendAudit({
    at: request.at,
    actor: request.actor,
    action: `alert.${request.action}`,
    subject: `alert/${request.id}`,
    site: existing.site,
    detail: { from: existing.state, to: decision.to, reason: request.reason, note: request.note, ...(decision.resolution === null ? {} : { resolution: JSON.parse(decision.resolution) as unknown }) },
  });
  yield* recordChange(alert, "state_changed", request.at);
  return { result: "applied", alert };
}

/**
 * Each case with its transitions in one query (rows ordered by case, then transition): the cases of
 * the site whose fact occurred in the range and that were ever moved to confirmed.
 */
function* confirmedCases(site: string, occurred: OccurredRange): SqlProgram<AlertCaseHistory[]> {
  const caseColumns = CASE_COLUMNS.split(", ").map((c) => `c.${c}`).join(", ");
  const transitionColumns = TRANSITION_COLUMNS.split(", ").map((c) => `t.${c}`).join(", ");
  const params: SqlValue[] = [site];
  const bounds = conditionClauses(
    [
      ["c.occurred_at", ">=", occurred.from],
      ["c.occurred_at", "<", occurred.to],
    ],
    SQLITE_PLACEHOLDER,
    params,
  ).map((clause) => ` AND ${clause}`);
  const rows = yield* all<CaseRow & TransitionRow>(
    `SELECT ${caseColumns}, ${transitionColumns} FROM alert_cases c JOIN alert_transitions t ON t.alert_id = c.id
      WHERE c.site = ?${bounds.join("")} AND EXISTS (SELECT 1 FROM alert_transitions v WHERE v.alert_id = c.id AND v.to_state = 'confirmed')
      ORDER BY c.occurred_at, c.id, t.id`,
    params,
  );
  const histories: { alert: AlertCase; transitions: AlertTransition[] }[] = [];
  for (const row of rows) {
    const last = histories.at(-1);
    const history = last !== undefined && last.alert.id === row.id ? last : { alert: caseFromRow(row), transitions: [] };
    if (history !== last) histories.push(history);
    history.transitions.push(transitionFromRow(row.id, row));
  }
  return histories;
}

function caseListing(filter: AlertCaseFilter): Listing {
  return {
    table: "alert_cases",
    columns: CASE_COLUMNS,
    timeColumn: "raised_at",
    conditions: [
      ["site", "=", filter.site],
      ["rule", "=", filter.rule],
      ["kind", "=", filter.kind],
      ["severity", "=", filter.severity],
      ["state", "=", filter.state],
      ["patient_ref", "=", filter.patientRef],
      ["raised_at", ">=", filter.from],
      ["raised_at", "<", filter.to],
    ],
  };
}

const placeholders = (n: number): string => Array.from({ length: n }, () => "?").join(", ");

const WEBHOOK_COLUMNS = "id, url, secret, site, created_by, created_at";
interface WebhookRow {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly site: string | null;
  readonly created_by: string;
  readonly created_at: number;
}
const webhookFromRow = (r: WebhookRow): WebhookRecord => ({ id: r.id, url: r.url, secret: r.secret, site: r.site, createdBy: r.created_by, createdAt: r.created_at });

interface WatchRow {
  readonly card_ref: string;
  readonly site: string;
  readonly face_template_id: string | null;
  readonly alert_id: string;
  readonly added_by: string;
  readonly added_at: number;
}

export function sqlAlertCaseStore(runner: SqlRunner): AlertCaseStore {
  return {
    upsertCase: (draft, at, actor, options) => runner.write(() => upsertCase(draft, at, actor, options?.onlyIfNew ?? false)),
    transition: (request) => runner.write(() => transition(request)),
    getCase: (id) => runner.read(() => getCase(id)),
    queryCases(filter, page: PageRequest): Promise<Page<AlertCase>> {
      return runner.read(function* () {
        checkLimit(page.limit);
        const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, "text");
        const sql = pageSql(caseListing(filter), after, page.limit, SQLITE_PLACEHOLDER);
        const rows = yield* all<CaseRow>(sql.text, sql.values);
        return toPage(rows.map(caseFromRow), page.limit, (c) => ({ at: c.raisedAt, id: c.id }));
      });
    },
    casesOfPatient(patientRef, states) {
      return runner.read(function* () {
        const rows = yield* all<CaseRow>(`SELECT ${CASE_COLUMNS} FROM alert_cases WHERE patient_ref = ? AND state IN (${placeholders(states.length)}) ORDER BY id`, [patientRef, ...states]);
        return rows.map(caseFromRow);
      });
    },
    transitionsOf(id) {
      return runner.read(function* () {
        const rows = yield* all<TransitionRow>(`SELECT ${TRANSITION_COLUMNS} FROM alert_transitions WHERE alert_id = ? ORDER BY id`, [id]);
        return rows.map((r) => transitionFromRow(id, r));
      });
    },
    unadoptedAlerts(limit) {
      return runner.read(function* () {
        checkLimit(limit);
        const rows = yield* all<AlertRow & { occurred_at: number }>(
          `SELECT a.id, a.kind, a.site, a.raised_at, a.subject_ref, a.body, a.published_at, e.occurred_at
             FROM alerts a JOIN events e ON e.id = a.event_id LEFT JOIN alert_cases c ON c.id = a.id
            WHERE c.id IS NULL ORDER BY a.raised_at, a.id LIMIT ?`,
          [limit],
        );
        return rows.map((row): UnadoptedAlert => ({ alert: alertFromRow(row), occurredAt: row.occurred_at }));
      });
    },
    unpublishedCases(limit) {
      return runner.read(function* () {
        checkLimit(limit);
        // Ingest published its own alerts already (a D2 case may exist before its adoption).
        const rows = yield* all<CaseRow>(
          `SELECT ${CASE_COLUMNS} FROM alert_cases c WHERE published_at IS NULL AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.id = c.id) ORDER BY raised_at, id LIMIT ?`,
          [limit],
        );
        return rows.map(caseFromRow);
      });
    },
    markCasesPublished(ids, at) {
      return runner.write(function* () {
        for (const id of ids) yield* run("UPDATE alert_cases SET published_at = ? WHERE id = ? AND published_at IS NULL", [at, id]);
      });
    },
    verdictCounts() {
      return runner.read(function* () {
        // A case is confirmed or dismissed at most once (no transition leads back), and keeps that
        // verdict when it is later closed.
        const rows = yield* all<{ rule: string; site: string; state: AlertState; count: number }>(
          `SELECT c.rule, c.site, t.to_state AS state, count(*) AS count FROM alert_cases c JOIN alert_transitions t ON t.alert_id = c.id
            WHERE t.to_state IN ('confirmed', 'dismissed') GROUP BY c.rule, c.site, t.to_state ORDER BY c.rule, c.site, t.to_state`,
        );
        return rows.map((r): VerdictCount => ({ rule: r.rule, site: r.site, state: r.state, count: r.count }));
      });
    },
    confirmedCases: (site, occurred) => runner.read(() => confirmedCases(site, occurred)),
    billedLines(ids) {
      return runner.read(function* () {
        if (ids.length === 0) return [];
        const rows = yield* all<BilledItemRow>(`SELECT ${BILLED_ITEM_COLUMNS} FROM billed_items WHERE id IN (${placeholders(ids.length)}) ORDER BY id`, [...ids]);
        return rows.map(billedItemFromRow);
      });
    },
    changesAfter(seq, limit) {
      return runner.read(function* () {
        checkLimit(limit);
        const rows = yield* all<{ seq: number; alert_id: string; site: string; change: AlertChangeKind; at: number }>(
          "SELECT seq, alert_id, site, change, at FROM alert_changes WHERE seq > ? ORDER BY seq LIMIT ?",
          [seq, limit],
        );
        return rows.map((r): AlertChange => ({ seq: r.seq, alertId: r.alert_id, site: r.site, change: r.change, at: r.at }));
      });
    },
    lastChangeSeq() {
      return runner.read(function* () {
        const row = yield* one<{ seq: number | null }>("SELECT max(seq) AS seq FROM alert_changes");
        return row?.seq ?? 0;
      });
    },
    appendAudit: (draft) => runner.write(() => appendAudit(draft)),
    auditEntries(afterSeq, limit, site) {
      return runner.read(function* () {
        checkLimit(limit);
        const columns = "seq, at, actor, action, subject, site, detail, prev_hash, hash";
        const rows =
          site === undefined
            ? yield* all<AuditRow>(`SELECT ${columns} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, [afterSeq, limit])
            : yield* all<AuditRow>(`SELECT ${columns} FROM audit_log WHERE site = ? AND seq > ? ORDER BY seq LIMIT ?`, [site, afterSeq, limit]);
        return rows.map(auditFromRow);
      });
    },
    createWebhook(webhook, audit) {
      return runner.write(function* () {
        yield* run(`INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, [webhook.id, webhook.url, webhook.secret, webhook.site, webhook.createdBy, webhook.createdAt]);
        yield* appendAudit(audit);
      });
    },
    listWebhooks() {
      return runner.read(function* () {
        const rows = yield* all<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, id`);
        return rows.map(webhookFromRow);
      });
    },
    deleteWebhook(id, audit) {
      return runner.write(function* () {
        const changed = yield* run("UPDATE webhooks SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", [audit.at, id]);
        if (changed === 0) return false;
        // Pending deliveries of a deleted subscription are dropped, not retried for ever.
        yield* run("UPDATE webhook_deliveries SET delivered_at = ?, last_error = 'subscription deleted' WHERE webhook_id = ? AND delivered_at IS NULL", [audit.at, id]);
        yield* appendAudit(audit);
        return true;
      });
    },
    dueDeliveries(now, limit) {
      return runner.read(function* () {
        checkLimit(limit);
        const rows = yield* all<{ id: number; webhook_id: string; url: string; secret: string; change_seq: number; payload: string; attempts: number; next_attempt_at: number }>(
          `SELECT d.id, d.webhook_id, w.url, w.secret, d.change_seq, d.payload, d.attempts, d.next_attempt_at
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
            WHERE d.delivered_at IS NULL AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`,
          [now, limit],
        );
        return rows.map((r): WebhookDelivery => ({ id: r.id, webhookId: r.webhook_id, url: r.url, secret: r.secret, changeSeq: r.change_seq, payload: r.payload, attempts: r.attempts, nextAttemptAt: r.next_attempt_at }));
      });
    },
    recordDelivery(id, result) {
      return runner.write(function* () {
        yield* run("UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND delivered_at IS NULL", [
          result.delivered ? result.at : null, result.nextAttemptAt, result.error, id,
        ]);
      });
    },
    pendingDeliveries(webhookId) {
      return runner.read(function* () {
        const row = yield* one<{ count: number }>("SELECT count(*) AS count FROM webhook_deliveries WHERE webhook_id = ? AND delivered_at IS NULL", [webhookId]);
        return row?.count ?? 0;
      });
    },
    addToWatchList(entries, audit) {
      return runner.write(function* () {
        for (const e of entries) {
          yield* run("INSERT INTO watch_list (card_ref, site, face_template_id, alert_id, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (card_ref, site) DO UPDATE SET face_template_id = COALESCE(watch_list.face_template_id, excluded.face_template_id)", [
            e.cardRef, e.site, e.faceTemplateId, e.alertId, e.addedBy, e.addedAt,
          ]);
        }
        yield* appendAudit(audit);
      });
    },
    watchList(site) {
      return runner.read(function* () {
        const rows =
          site === undefined
            ? yield* all<WatchRow>("SELECT card_ref, site, face_template_id, alert_id, added_by, added_at FROM watch_list ORDER BY site, card_ref")
            : yield* all<WatchRow>("SELECT card_ref, site, face_template_id, alert_id, added_by, added_at FROM watch_list WHERE site = ? ORDER BY card_ref", [site]);
        return rows.map((r): WatchListEntry => ({ cardRef: r.card_ref, site: r.site, faceTemplateId: r.face_template_id, alertId: r.alert_id, addedBy: r.added_by, addedAt: r.added_at }));
      });
    },
    touchedPatients(from, to) {
      return runner.read(function* () {
        const rows = yield* all<{ ref: string }>(
          `SELECT subject_ref AS ref FROM events WHERE received_at >= ? AND received_at < ? AND subject_ref IS NOT NULL
           UNION SELECT patient_ref AS ref FROM billed_items WHERE imported_at >= ? AND imported_at < ? ORDER BY ref`,
          [from, to, from, to],
        );
        return rows.map((r) => r.ref);
      });
    },
    cursor(name) {
      return runner.read(function* () {
        const row = yield* one<{ position: number }>("SELECT position FROM runner_cursors WHERE name = ?", [name]);
        return row?.position;
      });
    },
    setCursor(name, position) {
      return runner.write(function* () {
        yield* run("INSERT INTO runner_cursors (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position", [name, position]);
      });
    },
  };
}
