import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../alerts/audit-chain.js";
import type { AlertCaseDraft, AlertCaseStore, AuditDraft } from "./alert-case-records.js";
import type { GatewayStore } from "./gateway-store.js";
import { alert, billedItem, event, registration } from "./store-fixtures.js";

/**
 * The alert back end's part of the GatewayStore contract (store-contract.ts runs it for every
 * implementation): cases raised once and updated in place, lifecycle transitions decided on the
 * current state, one hash chain for the audit log (also with two stores appending at once), the
 * change feed with its webhook deliveries, the watch list and the rule runner's feeds.
 */
export interface AlertCaseContractSubject {
  readonly store: () => GatewayStore;
  readonly openPeer: (() => Promise<GatewayStore>) | undefined;
}

const T0 = 1_764_000_000_000;

function draft(n: number, fields: Partial<AlertCaseDraft> = {}): AlertCaseDraft {
  const id = n.toString(16).padStart(32, "0");
  const site = fields.site ?? "site-a";
  const body = JSON.stringify({ v: "1", id, kind: "billed_not_verified", rule: "D1", site, raisedAt: new Date(T0).toISOString(), evidence: { eventIds: [], boxes: [], billingLineIds: [`${site}/L${String(n)}`] }, summary: "s" });
  return { id, rule: "D1", kind: "billed_not_verified", severity: "warning", site, patientRef: `p${String(n % 2)}`, occurredAt: T0 + n, source: "reconcile", body, published: false, ...fields };
}

const audit = (n: number, fields: Partial<AuditDraft> = {}): AuditDraft => ({ at: T0 + n, actor: "test", action: "test.entry", subject: `thing/${String(n)}`, site: null, detail: { n }, ...fields });

export function describeAlertCaseStoreContract(subject: AlertCaseContractSubject): void {
  const cases = (): AlertCaseStore => subject.store().alertCases();

  describe("alert cases", () => {
    it("raises a case once, leaves it unchanged on the same content, updates evidence in place keeping raisedAt", async () => {
      const first = await cases().upsertCase(draft(1), T0, "rules");
      expect(first.result).toBe("raised");
      expect(first.alert).toMatchObject({ state: "open", raisedAt: T0, stateChangedAt: T0, publishedAt: null });
      const later = JSON.stringify({ ...(JSON.parse(draft(1).body) as object), raisedAt: new Date(T0 + 5000).toISOString() });
      expect((await cases().upsertCase({ ...draft(1), body: later }, T0 + 5000, "rules")).result).toBe("unchanged");
      const enriched = JSON.stringify({ ...(JSON.parse(later) as object), summary: "more evidence" });
      const updated = await cases().upsertCase({ ...draft(1), body: enriched, severity: "critical" }, T0 + 6000, "rules");
      expect(updated.result).toBe("updated");
      expect(updated.alert.severity).toBe("critical");
      expect((JSON.parse(updated.alert.body) as { raisedAt: string }).raisedAt).toBe(new Date(T0).toISOString());
      const changes = await cases().changesAfter(0, 10);
      expect(changes.map((c) => c.change)).toEqual(["raised", "updated"]);
      expect((await cases().transitionsOf(first.alert.id)).map((t) => [t.from, t.to, t.action])).toEqual([[null, "open", "raise"]]);
    });

    it("applies a transition decided on the current state, refuses what the decision refuses, and re-opens an auto-resolved case found again", async () => {
      const { alert: raised } = await cases().upsertCase(draft(2), T0, "rules");
      const refused = await cases().transition({ id: raised.id, action: "close", actor: "a", reason: null, note: null, at: T0 + 1, decide: (c) => ({ result: "refuse", detail: `no from ${c.state}` }) });
      expect(refused).toMatchObject({ result: "refused", detail: "no from open" });
      const resolution = JSON.stringify({ zh: "解释", en: "explained" });
      const applied = await cases().transition({ id: raised.id, action: "auto_resolve", actor: "rules", reason: "explained", note: null, at: T0 + 2, decide: () => ({ result: "apply", to: "auto_resolved", resolution }) });
      expect(applied).toMatchObject({ result: "applied", alert: { state: "auto_resolved", stateChangedAt: T0 + 2, resolution } });
      expect(await cases().transition({ id: "f".repeat(32), action: "x", actor: "a", reason: null, note: null, at: 0, decide: () => ({ result: "apply", to: "closed", resolution: null }) })).toEqual({ result: "not_found" });
      const reopened = await cases().upsertCase(draft(2), T0 + 3, "rules");
      expect(reopened).toMatchObject({ result: "reopened", alert: { state: "open" } });
      expect((await cases().transitionsOf(raised.id)).map((t) => t.to)).toEqual(["open", "auto_resolved", "open"]);
      expect(await cases().casesOfPatient(raised.patientRef ?? "", ["open"])).toEqual([expect.objectContaining({ id: raised.id })]);
    });

    it("lists cases newest first with filters and keyset pages", async () => {
      for (let n = 10; n < 16; n++) await cases().upsertCase(draft(n, { site: n % 2 === 0 ? "site-a" : "site-b", severity: n < 13 ? "warning" : "info" }), T0 + n * 1000, "rules");
      const all = await cases().queryCases({}, { limit: 4 });
      expect(all.items.map((c) => c.raisedAt)).toEqual([15, 14, 13, 12].map((n) => T0 + n * 1000));
      const rest = await cases().queryCases({}, { limit: 4, cursor: all.nextCursor ?? undefined });
      expect(rest.items.map((c) => c.raisedAt)).toEqual([11, 10].map((n) => T0 + n * 1000));
      expect((await cases().queryCases({ site: "site-b", severity: "info" }, { limit: 10 })).items.map((c) => c.raisedAt)).toEqual([15, 13].map((n) => T0 + n * 1000));
      expect((await cases().queryCases({ state: "closed" }, { limit: 10 })).items).toEqual([]);
    });

    it("counts verdicts per rule and institution, keeping a verdict through closing", async () => {
      const decide = (to: "acknowledged" | "confirmed" | "dismissed" | "closed") => () => ({ result: "apply" as const, to, resolution: null });
      for (const [n, verdict] of [[20, "confirmed"], [21, "confirmed"], [22, "dismissed"]] as const) {
        const { alert: c } = await cases().upsertCase(draft(n), T0, "rules");
        await cases().transition({ id: c.id, action: "acknowledge", actor: "s", reason: null, note: null, at: T0, decide: decide("acknowledged") });
        await cases().transition({ id: c.id, action: verdict, actor: "s", reason: null, note: null, at: T0, decide: decide(verdict) });
        if (n === 20) await cases().transition({ id: c.id, action: "close", actor: "s", reason: null, note: null, at: T0, decide: decide("closed") });
      }
      expect(await cases().verdictCounts()).toEqual([
        { rule: "D1", site: "site-a", state: "confirmed", count: 2 },
        { rule: "D1", site: "site-a", state: "dismissed", count: 1 },
      ]);
    });

    it("reads one institution's confirmed cases with their whole history: closed after confirming kept, dismissed and other institutions' left out, bounded by when the fact occurred", async () => {
      const apply = (id: string, action: string, to: "acknowledged" | "confirmed" | "dismissed" | "closed", at: number, note: string | null = null) =>
        cases().transition({ id, action, actor: "supervisor:s", reason: null, note, at, decide: () => ({ result: "apply", to, resolution: null }) });
      const walk: [number, string, ("confirmed" | "dismissed" | "closed")[]][] = [
        [43, "site-a", ["confirmed"]],
        [40, "site-a", ["confirmed", "closed"]],
        [41, "site-a", ["dismissed", "closed"]],
        [42, "site-b", ["confirmed"]],
        [44, "site-a", []],
      ];
      for (const [n, site, steps] of walk) {
        const { alert: c } = await cases().upsertCase(draft(n, { site }), T0 + 100, "rules");
        if (steps.length > 0) await apply(c.id, "acknowledge", "acknowledged", T0 + 200);
        for (const [i, to] of steps.entries()) await apply(c.id, to === "confirmed" ? "confirm" : to === "dismissed" ? "dismiss" : "close", to, T0 + 300 + i, to === "confirmed" ? `note ${String(n)}` : null);
      }
      const confirmed = await cases().confirmedCases("site-a", {});
      expect(confirmed.map((h) => [h.alert.id, h.alert.state])).toEqual([
        [draft(40).id, "closed"],
        [draft(43).id, "confirmed"],
      ]);
      expect(confirmed[0]?.transitions.map((t) => [t.alertId, t.from, t.to, t.actor, t.note, t.at])).toEqual([
        [draft(40).id, null, "open", "rules", null, T0 + 100],
        [draft(40).id, "open", "acknowledged", "supervisor:s", null, T0 + 200],
        [draft(40).id, "acknowledged", "confirmed", "supervisor:s", "note 40", T0 + 300],
        [draft(40).id, "confirmed", "closed", "supervisor:s", null, T0 + 301],
      ]);
      expect((await cases().confirmedCases("site-b", {})).map((h) => h.alert.id)).toEqual([draft(42).id]);
      expect((await cases().confirmedCases("site-a", { from: T0 + 41 })).map((h) => h.alert.id)).toEqual([draft(43).id]);
      expect((await cases().confirmedCases("site-a", { to: T0 + 43 })).map((h) => h.alert.id)).toEqual([draft(40).id]);
      expect(await cases().confirmedCases("site-a", { from: T0 + 41, to: T0 + 43 })).toEqual([]);
      expect(await cases().confirmedCases("site-c", {})).toEqual([]);
    });
  });

  describe("audit log", () => {
    it("chains entries by hash in one sequence, readable per institution", async () => {
      for (let n = 1; n <= 5; n++) await cases().appendAudit(audit(n, { site: n % 2 === 0 ? "site-a" : null }));
      const entries = await cases().auditEntries(0, 100);
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
      expect((await cases().auditEntries(0, 100, "site-a")).map((e) => e.seq)).toEqual([2, 4]);
      expect(await verifyAuditChain(cases(), 2)).toMatchObject({ intact: true, entries: 5, head: entries[4]?.hash });
    });

    // Needs a second store over the same database (not possible for a private in-memory one).
    if (subject.openPeer !== undefined) it("keeps one intact chain when two stores append at once", async () => {
      const peer = await (subject.openPeer ?? (() => Promise.reject(new Error("no peer"))))();
      await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? cases() : peer.alertCases()).appendAudit(audit(n))));
      expect(await verifyAuditChain(cases())).toMatchObject({ intact: true, entries: 40 });
    });
  });

  describe("webhook deliveries and the watch list", () => {
    it("queues each change for every live subscription of its site, in the change's own transaction", async () => {
      await cases().createWebhook({ id: "00000000-0000-4000-8000-000000000001", url: "http://a.example/hook", secret: "s1", site: null, createdBy: "ops", createdAt: T0 }, audit(1));
      await cases().createWebhook({ id: "00000000-0000-4000-8000-000000000002", url: "http://b.example/hook", secret: "s2", site: "site-b", createdBy: "ops", createdAt: T0 }, audit(2));
      await cases().upsertCase(draft(30), T0 + 10, "rules");
      const due = await cases().dueDeliveries(T0 + 10, 10);
      expect(due.map((d) => d.url)).toEqual(["http://a.example/hook"]);
      expect(JSON.parse(due[0]?.payload ?? "{}")).toMatchObject({ type: "alert.raised", alert: { id: draft(30).id, state: "open" } });
      await cases().recordDelivery(due[0]?.id ?? 0, { delivered: false, at: T0 + 11, nextAttemptAt: T0 + 2011, error: "HTTP 500" });
      expect(await cases().dueDeliveries(T0 + 2000, 10)).toEqual([]);
      const retry = await cases().dueDeliveries(T0 + 2011, 10);
      expect(retry.map((d) => d.attempts)).toEqual([1]);
      await cases().recordDelivery(retry[0]?.id ?? 0, { delivered: true, at: T0 + 2012, nextAttemptAt: T0 + 2012, error: null });
      expect(await cases().pendingDeliveries("00000000-0000-4000-8000-000000000001")).toBe(0);
      expect(await cases().deleteWebhook("00000000-0000-4000-8000-000000000002", audit(3))).toBe(true);
      expect((await cases().listWebhooks()).map((h) => h.url)).toEqual(["http://a.example/hook"]);
      expect((await cases().auditEntries(0, 10)).map((e) => e.subject)).toContain("thing/3");
    });

    it("keeps one watch-list entry per card and institution", async () => {
      const entry = { cardRef: "card-1", site: "site-a", faceTemplateId: null, alertId: "a".repeat(32), addedBy: "s", addedAt: T0 };
      await cases().addToWatchList([entry, { ...entry, site: "site-b" }], audit(1));
      await cases().addToWatchList([{ ...entry, addedAt: T0 + 1 }], audit(2));
      expect(await cases().watchList(undefined)).toEqual([entry, { ...entry, site: "site-b" }]);
      expect((await cases().watchList("site-b")).map((e) => e.site)).toEqual(["site-b"]);
      // A later confirmation that identified the face fills it in; it never replaces one already known.
      await cases().addToWatchList([{ ...entry, faceTemplateId: "face-1", addedAt: T0 + 2 }], audit(3));
      await cases().addToWatchList([{ ...entry, faceTemplateId: "face-2", addedAt: T0 + 3 }], audit(4));
      expect(await cases().watchList("site-a")).toEqual([{ ...entry, faceTemplateId: "face-1" }]);
    });
  });

  describe("the rule runner's feeds", () => {
    it("names the patients whose events or billed lines arrived in a window, keeps cursors, and adopts ingest alerts once", async () => {
      const store = subject.store();
      await store.registerDevice(registration("box-1"));
      const received = { ...event({ n: 1, box: "box-1", seq: 1, subjectRef: "patient-e" }), receivedAt: T0 + 100 };
      await store.commitBatch({ events: [received], quarantine: [], alerts: [{ alert: alert({ cause: "c1", raisedAt: T0 + 100, subjectRef: "patient-e" }), eventId: received.id }] });
      await store.storeBilledItems([{ ...billedItem({ n: 1 }), importedAt: T0 + 200 }]);
      expect(await cases().touchedPatients(T0, T0 + 150)).toEqual(["patient-e"]);
      expect((await cases().touchedPatients(T0, T0 + 300)).length).toBe(2);
      expect(await cases().touchedPatients(T0 + 300, T0 + 400)).toEqual([]);
      expect(await cases().cursor("feed")).toBeUndefined();
      await cases().setCursor("feed", 7);
      await cases().setCursor("feed", 9);
      expect(await cases().cursor("feed")).toBe(9);
      const pending = await cases().unadoptedAlerts(10);
      expect(pending.map((p) => [p.alert.subjectRef, p.occurredAt])).toEqual([["patient-e", received.occurredAt]]);
      expect((await cases().billedLines([billedItem({ n: 1 }).id, "nope/L1"])).map((l) => l.id)).toEqual([billedItem({ n: 1 }).id]);
    });
  });
}
