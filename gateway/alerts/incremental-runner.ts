import { EventMessage } from "../../protocol/index.js";
import type { BilledItem } from "../billing/billed-item.js";
import { RULE_IDS } from "../reconcile/finding.js";
import { ReconcileParams } from "../reconcile/reconcile-params.js";
import { reconcilePatient, supersededIds } from "../reconcile/reconcile-patient.js";
import { cst } from "../reconcile/rule-context.js";
import type { AlertCase, AlertCaseStore, UpsertResult } from "../store/alert-case-records.js";
import type { GatewayStore } from "../store/gateway-store.js";
import { decideAutoResolve, UNREVIEWED_STATES } from "./alert-lifecycle.js";
import { alertDraftOfFinding } from "./finding-alert.js";
import { adoptIngestAlerts } from "./ingest-adoption.js";
import { loadPatientData, type PatientData } from "./patient-facts-loader.js";
import { watchListAlerts } from "./watch-list.js";

/**
 * Runs the rule catalogue incrementally. It follows two change feeds kept in the store (events by
 * the time they were received, billed lines by the time they were imported), so late data in any
 * order, from this gateway, another one or a CLI import, re-runs the rules for exactly the patients
 * it touches. Findings become alerts by id (never twice for one cause); an open, unreviewed alert of
 * that patient which the rules no longer find is auto-resolved with the data that explained it.
 * A third feed re-runs patients whose check-ins became old enough to miss a check-out (D3).
 */
export interface RunnerOptions {
  readonly store: GatewayStore;
  readonly params?: ReconcileParams;
  readonly now?: () => number;
  /** Feeds are re-read this far back, so a transaction that committed late is not skipped. */
  readonly overlapMs?: number;
  readonly actor?: string;
  readonly log?: (level: "info" | "warn" | "error", message: string) => void;
  /** Called after each change this runner makes (the SSE hub and publishers poll sooner). */
  readonly onChange?: () => void;
}

export interface PatientOutcome {
  readonly ref: string;
  readonly counts: Readonly<Record<UpsertResult | "resolved", number>>;
}

export interface IncrementalRunner {
  evaluatePatient(ref: string): Promise<PatientOutcome>;
  /** One pass over the feeds; returns the patients re-evaluated. */
  runOnce(): Promise<readonly string[]>;
  /** Asks for a pass soon; nudges while one is waiting to start coalesce into it. */
  nudge(): void;
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

const TOUCHED = "touched";
const DUE = "d3_due";
const ENGINE_RULES: readonly string[] = RULE_IDS;

export function createIncrementalRunner(options: RunnerOptions): IncrementalRunner {
  const { store } = options;
  const cases: AlertCaseStore = store.alertCases();
  const params = options.params ?? ReconcileParams.parse({});
  const now = options.now ?? Date.now;
  const overlapMs = options.overlapMs ?? 60_000;
  const actor = options.actor ?? "rule-engine";
  const log = options.log ?? (() => undefined);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let nudged = false;
  let stopped = false;

  async function evaluatePatient(ref: string): Promise<PatientOutcome> {
    const at = now();
    const data = await loadPatientData(store, ref);
    const findings = reconcilePatient(ref, { items: data.items, events: data.events, statuses: data.statuses }, { ...params, asOf: at });
    const counts = { raised: 0, updated: 0, reopened: 0, unchanged: 0, resolved: 0 };
    const found = new Set<string>();
    const watch = (await cases.watchList(undefined)).filter((w) => w.cardRef === ref || w.faceTemplateId !== null);
    const drafts = [...findings.map((finding) => alertDraftOfFinding(finding, at, () => data.maskedId)), ...watchListAlerts(data.messages.filter((m) => m.subject.ref === ref), watch, at)];
    for (const draft of drafts) {
      found.add(draft.id);
      const outcome = await cases.upsertCase(draft, at, actor);
      counts[outcome.result]++;
    }
    const previous = (await cases.casesOfPatient(ref, UNREVIEWED_STATES)).filter((c) => ENGINE_RULES.includes(c.rule));
    for (const id of supersededIds(previous.map((c) => c.id), found)) {
      const stale = previous.find((c) => c.id === id);
      if (stale === undefined) continue;
      const reason = explainResolution(stale, data);
      const outcome = await cases.transition({ id, action: "auto_resolve", actor, reason: reason.en, note: null, at, decide: (current) => decideAutoResolve(current, reason) });
      if (outcome.result === "applied") counts.resolved++;
    }
    if (counts.raised + counts.updated + counts.reopened + counts.resolved > 0) options.onChange?.();
    return { ref, counts };
  }

  async function checkInsDue(from: number, to: number): Promise<string[]> {
    const refs = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await store.queryEvents({ kind: "dialysis.check_in", from, to }, { limit: 1000, cursor });
      for (const record of page.items) if (record.subjectRef !== null) refs.add(record.subjectRef);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return [...refs];
  }

  async function runOnce(): Promise<readonly string[]> {
    const at = now();
    if ((await adoptIngestAlerts(store, actor)) > 0) options.onChange?.();
    const touchedFrom = (await cases.cursor(TOUCHED)) ?? 0;
    const refs = new Set(await cases.touchedPatients(Math.max(0, touchedFrom - overlapMs), at + 1));
    // D3: a verified check-in with no check-out is due once maxSessionMinutes have passed.
    const session = params.d3.maxSessionMinutes * 60_000;
    const dueFrom = (await cases.cursor(DUE)) ?? at - session - overlapMs;
    for (const ref of await checkInsDue(dueFrom - session - overlapMs, at - session)) refs.add(ref);
    for (const ref of [...refs].sort()) {
      try {
        await evaluatePatient(ref);
      } catch (error) {
        log("error", `rules for patient ${ref.slice(0, 12)}… failed: ${String(error)}`);
      }
    }
    await cases.setCursor(TOUCHED, at);
    await cases.setCursor(DUE, at);
    return [...refs].sort();
  }

  return {
    evaluatePatient,
    runOnce: () => {
      const pass = running.then(runOnce, runOnce);
      running = pass.catch(() => undefined);
      return pass;
    },
    nudge() {
      if (nudged || stopped) return;
      nudged = true;
      running = running
        .then(() => {
          nudged = false;
          return runOnce();
        })
        .catch((error: unknown) => {
          log("error", `rule runner pass failed: ${String(error)}`);
        });
    },
    start(intervalMs) {
      if (timer !== null) return;
      const tick = (): void => {
        running = running.then(runOnce).catch((error: unknown) => {
          log("error", `rule runner pass failed: ${String(error)}`);
        });
      };
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

/** What arrived after the alert was raised: the data that explains it, named in both languages. */
export function explainResolution(alert: AlertCase, data: PatientData): { zh: string; en: string } {
  const lateEvents = data.eventRecords.filter((r) => r.receivedAt >= alert.raisedAt).sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
  const lateLines = data.itemRecords.filter((r) => r.importedAt >= alert.raisedAt);
  const events = lateEvents.slice(0, 5).map((r) => {
    const e = EventMessage.parse(JSON.parse(r.body));
    return { zh: `${e.kind}（${e.verification.outcome}，${cst(r.occurredAt)}，终端 ${e.box}，事件 ${e.id}）`, en: `${e.kind} (${e.verification.outcome}, ${cst(r.occurredAt)} CST, box ${e.box}, event ${e.id})` };
  });
  const lines = lateLines.slice(0, 5).map((r) => {
    const item = JSON.parse(r.body) as BilledItem;
    const what = item.quantity < 0 ? "refund" : "line";
    return { zh: `计费${item.quantity < 0 ? "冲销" : "明细"} ${r.id}`, en: `billed ${what} ${r.id}` };
  });
  const facts = [...events, ...lines];
  if (facts.length === 0) {
    return { zh: `规则 ${alert.rule} 重新核对后不再成立。`, en: `Rule ${alert.rule} no longer finds this when re-run over the stored facts.` };
  }
  return {
    zh: `后到的数据解释了此告警，规则 ${alert.rule} 不再成立：${facts.map((f) => f.zh).join("；")}。`,
    en: `Explained by data that arrived later; rule ${alert.rule} no longer finds this: ${facts.map((f) => f.en).join("; ")}.`,
  };
}
