import { createHash } from "node:crypto";
import type { EventMessage } from "../../../protocol/index.js";
import type { BilledItem } from "../../billing/billed-item.js";
import { billedItemRecord } from "../../billing/billing-store-import.js";
import { alertsForEvent } from "../../ingest/event-alerts.js";
import type { EventRecord, GatewayStore } from "../../store/gateway-store.js";
import { registration } from "../../store/store-fixtures.js";
import { openSqliteStore } from "../../store/sqlite-store.js";
import { createIncrementalRunner, type IncrementalRunner } from "../incremental-runner.js";

/**
 * A store with the reconcile fixtures' boxes registered (gateway/reconcile/test-fixtures), a clock
 * the test moves, and writers that land events (with ingest's immediate alerts, as the pipeline
 * does) and billed lines as they would arrive: late, in any order.
 */
export const SITE = "H50010600123";

export interface AlertScenario {
  readonly store: GatewayStore;
  readonly runner: IncrementalRunner;
  readonly clock: { now: number };
  /** Stores events received now (with ingest's alerts for them). */
  receive(...events: EventMessage[]): Promise<void>;
  /** Stores billed lines imported now. */
  bill(...items: BilledItem[]): Promise<void>;
  /** Moves the clock on and runs one pass of the rules. */
  pass(advanceMs?: number): Promise<readonly string[]>;
  close(): Promise<void>;
}

export function eventRecordOf(message: EventMessage, receivedAt: number): EventRecord {
  const body = JSON.stringify(message);
  return {
    id: message.id,
    site: message.site,
    box: message.box,
    seq: message.seq,
    kind: message.kind,
    outcome: message.verification.outcome,
    occurredAt: Date.parse(message.clock.at),
    receivedAt,
    subjectRef: message.subject.ref,
    bodyHash: createHash("sha256").update(body).digest("hex"),
    body,
    gatewayId: "scenario",
  };
}

export async function alertScenario(options: { path?: string; start?: number } = {}): Promise<AlertScenario> {
  const store = openSqliteStore({ path: options.path ?? ":memory:" });
  await store.migrate();
  for (const [box, role] of [["chair-box-1", "dialysis_station"], ["ward-box-1", "ward_round"]] as const) {
    await store.registerDevice(registration(box, { site: SITE, role }));
  }
  const clock = { now: options.start ?? Date.parse("2026-11-24T12:00:00+08:00") };
  const runner = createIncrementalRunner({ store, now: () => clock.now, overlapMs: 1000 });
  return {
    store,
    runner,
    clock,
    async receive(...events) {
      const records = events.map((e) => eventRecordOf(e, clock.now));
      const alerts = events.flatMap((e) => alertsForEvent(e, clock.now).map((alert) => ({ alert, eventId: e.id })));
      await store.commitBatch({ events: records, quarantine: [], alerts });
    },
    async bill(...items) {
      await store.storeBilledItems(items.map((i) => billedItemRecord(i, clock.now)));
    },
    async pass(advanceMs = 1000) {
      clock.now += advanceMs;
      return runner.runOnce();
    },
    close: () => store.close(),
  };
}
