import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import { alertId, EventMessage, publicKeyFromRaw, verifyEventSignature } from "../../../protocol/index.js";
import type { AlertCaseView } from "../../alerts/alert-view.js";
import { verifyEvidenceBundle, type EvidenceBundle } from "../../alerts/evidence-bundle.js";
import { apiHarness, bearer, SITE_A, SITE_B, type ApiHarness } from "../api-test-harness.js";

/**
 * The alert routes over the API harness: two institutions, each with one face-mismatch check-in whose
 * alert ingest raised at once (adopted as a case by the first read).
 */
let h: ApiHarness;
let alertA: string;
let alertB: string;
beforeAll(async () => {
  h = await apiHarness();
  alertA = alertId("impersonation_suspected", [h.eventIds.a[1] ?? ""]);
  alertB = alertId("impersonation_suspected", [h.eventIds.b[1] ?? ""]);
});
afterAll(async () => {
  await h.close();
});

interface Listing {
  items: AlertCaseView[];
  nextCursor: string | null;
}

// The caller names the shape it expects of the answer, as response.json<T>() does.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
async function get<T>(url: string, token = h.tokens.supervisor): Promise<{ status: number; body: T }> {
  const response = await h.app.inject({ url, headers: bearer(token) });
  return { status: response.statusCode, body: response.json<T>() };
}

async function act(id: string, body: Record<string, string>, token = h.tokens.supervisor) {
  const response = await h.app.inject({ method: "POST", url: `/api/v1/alerts/${id}/actions`, headers: bearer(token), payload: body });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
}

describe("alert inbox", () => {
  it("lists each alert with state, rule, severity, institution, bilingual explanation and evidence ids", async () => {
    const { status, body } = await get<Listing>("/api/v1/alerts");
    expect(status).toBe(200);
    expect(body.items.map((a) => a.id).sort()).toEqual([alertA, alertB].sort());
    const a = body.items.find((i) => i.id === alertA);
    expect(a).toMatchObject({ state: "open", rule: "D2", severity: "critical", institution: SITE_A, eventIds: [h.eventIds.a[1]], billingLineIds: [], allowedActions: ["acknowledge"] });
    expect(a?.explanation.en).toContain("Face did not match");
    expect(a?.explanation.zh.length).toBeGreaterThan(0);
  });

  it("filters by rule, severity, state, institution and time", async () => {
    const ids = async (query: string): Promise<string[]> => (await get<Listing>(`/api/v1/alerts?${query}`)).body.items.map((i) => i.id).sort();
    expect(await ids("rule=D2&severity=critical&state=open")).toEqual([alertA, alertB].sort());
    expect(await ids("rule=D1")).toEqual([]);
    expect(await ids("severity=info")).toEqual([]);
    expect(await ids(`site=${SITE_B}`)).toEqual([alertB]);
    expect(await ids(`to=${String(Date.now() - 86_400_000)}`)).toEqual([]);
    expect(await ids(`from=${new Date(Date.now() - 86_400_000).toISOString()}`)).toEqual([alertA, alertB].sort());
  });
});

describe("a hospital token and another institution's alerts", () => {
  it("is refused on every alert route", async () => {
    const token = h.tokens.hospitalA;
    expect((await get<Listing>("/api/v1/alerts", token)).body.items.map((i) => i.id)).toEqual([alertA]);
    expect((await get(`/api/v1/alerts?site=${SITE_B}`, token)).status).toBe(403);
    expect((await get(`/api/v1/alerts/${alertB}`, token)).status).toBe(404);
    expect((await get(`/api/v1/alerts/${alertB}/evidence`, token)).status).toBe(404);
    expect((await act(alertB, { action: "acknowledge" }, token)).status).toBe(403);
    expect((await get(`/api/v1/alerts/stream?site=${SITE_B}`, token)).status).toBe(403);
    expect((await get(`/api/v1/audit?site=${SITE_B}`, token)).status).toBe(403);
    expect((await get(`/api/v1/rules/precision?site=${SITE_B}`, token)).status).toBe(403);
    expect((await get(`/api/v1/institutions/${SITE_B}/coverage`, token)).status).toBe(404);
    const audit = await get<{ items: { site: string | null }[] }>("/api/v1/audit", token);
    expect(audit.status).toBe(200);
    expect(audit.body.items.every((e) => e.site === SITE_A)).toBe(true);
    expect((await get(`/api/v1/institutions/${SITE_A}/coverage`, token)).status).toBe(200);
  });
});

describe("alert lifecycle over the API", () => {
  it("refuses a transition the state does not allow, with the allowed actions, then walks to closed", async () => {
    expect(await act(alertB, { action: "confirm" })).toEqual({
      status: 409,
      body: { error: { code: "conflict", message: "cannot confirm an alert that is open; allowed: acknowledge" }, state: "open", allowedActions: ["acknowledge"] },
    });
    expect((await act(alertB, { action: "acknowledge" })).body).toMatchObject({ state: "acknowledged", allowedActions: ["confirm", "dismiss"] });
    expect(await act(alertB, { action: "dismiss", reason: "camera" })).toMatchObject({ status: 409, body: { allowedActions: ["confirm", "dismiss"] } });
    expect((await act(alertB, { action: "dismiss", reason: "camera glare", note: "the lamp faces the lens" })).body).toMatchObject({ state: "dismissed" });
    expect((await act(alertB, { action: "close" })).body).toMatchObject({ state: "closed", allowedActions: [] });
    const detail = await get<{ history: { from: string | null; to: string; actor: string; reason: string | null; note: string | null }[] }>(`/api/v1/alerts/${alertB}`);
    expect(detail.body.history.map((t) => t.to)).toEqual(["open", "acknowledged", "dismissed", "closed"]);
    expect(detail.body.history[2]).toMatchObject({ actor: "supervisor:insurer", reason: "camera glare", note: "the lamp faces the lens" });
    const audit = await get<{ items: { action: string; subject: string }[] }>("/api/v1/audit?limit=1000");
    expect(audit.body.items.filter((e) => e.subject === `alert/${alertB}`).map((e) => e.action)).toEqual(["alert.raised", "alert.acknowledge", "alert.dismiss", "alert.close"]);
  });

  it("confirming an impersonation puts the card on the institution's watch list and counts towards the rule's precision", async () => {
    await act(alertA, { action: "acknowledge" });
    expect((await act(alertA, { action: "confirm", note: "nurse saw another person" })).body).toMatchObject({ state: "confirmed" });
    const watch = await h.store.alertCases().watchList(SITE_A);
    const card = (await h.store.alertCases().getCase(alertA))?.patientRef;
    expect(watch.map((w) => [w.cardRef, w.alertId])).toEqual([[card, alertA]]);
    const precision = await get<{ rules: { rule: string; site: string; confirmed: number; dismissed: number; precision: number | null }[] }>("/api/v1/rules/precision");
    expect(precision.body.rules).toEqual(
      expect.arrayContaining([
        { rule: "D2", site: SITE_A, confirmed: 1, dismissed: 0, reviewed: 1, precision: 1 },
        { rule: "D2", site: SITE_B, confirmed: 0, dismissed: 1, reviewed: 1, precision: 0 },
      ]),
    );
  });

  it("shows the detail: timeline of the event and the box, the rule's explanation", async () => {
    const { status, body } = await get<{ alert: AlertCaseView; timeline: { type: string; id: string; detail: Record<string, unknown> }[]; explanation: { en: string } }>(`/api/v1/alerts/${alertA}`);
    expect(status).toBe(200);
    expect(body.alert.id).toBe(alertA);
    expect(body.timeline.filter((t) => t.type === "event").map((t) => [t.id, t.detail.signatureVerified])).toEqual([[h.eventIds.a[1], true]]);
    expect(body.explanation.en).toContain("Face did not match");
  });
});

describe("evidence bundle", () => {
  it("is one signed file whose signature verifies under the gateway's key, and fails once changed", async () => {
    const response = await h.app.inject({ url: `/api/v1/alerts/${alertA}/evidence`, headers: bearer(h.tokens.supervisor) });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-disposition"]).toContain(`carewitness-evidence-${alertA}.json`);
    const file = response.json<EvidenceBundle>();
    const key = (await get<{ publicKey: string }>("/api/v1/evidence-key")).body.publicKey;
    expect(verifyEvidenceBundle(file, key)).toEqual({ ok: true });
    // The events inside still carry their boxes' signatures, checkable on their own.
    const [inside] = file.bundle.events as { event: EventMessage; box: { publicKey: string; keyId: string } }[];
    expect(inside && verifyEventSignature(EventMessage.parse(inside.event), publicKeyFromRaw(inside.box.publicKey), inside.box.keyId)).toEqual({ ok: true });
    const tampered = { ...file, bundle: { ...file.bundle, state: "dismissed" } };
    expect(verifyEvidenceBundle(tampered, key)).toMatchObject({ ok: false });
    expect(verifyEvidenceBundle(file, "A".repeat(43))).toMatchObject({ ok: false });
  });
});

describe("live stream", () => {
  it("sends a new alert to a subscriber as a server-sent event, and not to another institution's hospital token", async () => {
    await h.app.listen({ host: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${String((h.app.server.address() as AddressInfo).port)}/api/v1/alerts/stream`;
    const open = async (token: string) => {
      const controller = new AbortController();
      const response = await fetch(base, { headers: { ...bearer(token), accept: "text/event-stream" }, signal: controller.signal });
      expect(response.headers.get("content-type")).toContain("text/event-stream");
      const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const until = async (needle: string): Promise<string> => {
        while (!text.includes(needle)) {
          const chunk = await reader?.read();
          if (chunk === undefined || chunk.done) throw new Error(`stream ended before ${needle}`);
          text += chunk.value;
        }
        return text;
      };
      return { until, close: () => controller.abort() };
    };
    const supervisor = await open(h.tokens.supervisor);
    const hospitalB = await open(h.tokens.hospitalB);
    const body = (id: string, site: string) => JSON.stringify({ v: 1, id, kind: "billed_not_verified", rule: "D1", severity: "warning", site, raisedAt: new Date().toISOString(), subject: null, evidence: { eventIds: [], boxes: [] }, summary: "billed, never verified" });
    const raise = (id: string, site: string) =>
      h.store.alertCases().upsertCase({ id, rule: "D1", kind: "billed_not_verified", severity: "warning", site, patientRef: null, occurredAt: Date.now(), source: "reconcile", body: body(id, site), published: false }, Date.now(), "test");
    await raise("a".repeat(32), SITE_A);
    await raise("b".repeat(32), SITE_B);
    const seen = await supervisor.until("b".repeat(32));
    expect(seen).toMatch(/id: \d+\nevent: alert\ndata: \{.*"id":"a{32}".*"state":"open"/);
    const seenByB = await hospitalB.until("b".repeat(32));
    expect(seenByB).not.toContain("a".repeat(32));
    supervisor.close();
    hospitalB.close();
  });
});
