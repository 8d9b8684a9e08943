import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertId } from "../../../protocol/index.js";
import type { ConfirmedRecordView } from "../../alerts/confirmed-record.js";
import { apiHarness, bearer, SITE_A, SITE_B, type ApiHarness } from "../api-test-harness.js";

/**
 * GET /institutions/{site}/confirmed-cases over the API harness: each institution's face-mismatch
 * alert walked through the lifecycle by a supervisor (A's confirmed, B's dismissed), and one more of
 * A's, a D1 from the end of March confirmed with a formula-looking note and then closed.
 */
let h: ApiHarness;
let alertA: string;
let alertB: string;
const D1 = "d1".repeat(16);
const MARCH_END = Date.parse("2026-03-31T23:30:00+08:00");

async function act(id: string, action: string, extra: Record<string, string> = {}): Promise<void> {
  const response = await h.app.inject({ method: "POST", url: `/api/v1/alerts/${id}/actions`, headers: bearer(h.tokens.supervisor), payload: { action, ...extra } });
  expect(response.statusCode, response.body).toBe(200);
}

async function get(url: string, token = h.tokens.supervisor) {
  return h.app.inject({ url, headers: bearer(token) });
}

const record = async (url: string, token = h.tokens.supervisor): Promise<ConfirmedRecordView> => {
  const response = await get(url, token);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ConfirmedRecordView>();
};

beforeAll(async () => {
  h = await apiHarness();
  alertA = alertId("impersonation_suspected", [h.eventIds.a[1] ?? ""]);
  alertB = alertId("impersonation_suspected", [h.eventIds.b[1] ?? ""]);
  await act(alertA, "acknowledge");
  await act(alertA, "confirm", { note: "复核录像：非本人" });
  await act(alertB, "acknowledge");
  await act(alertB, "dismiss", { reason: "camera glare", note: "lamp faces the lens" });
  const body = JSON.stringify({ v: 1, id: D1, kind: "billed_not_verified", rule: "D1", severity: "warning", site: SITE_A, raisedAt: new Date(MARCH_END).toISOString(), subject: null, patientNameMasked: "李*国", evidence: { eventIds: [], boxes: [], billingLineIds: [`${SITE_A}/L1`] }, summary: "billed, never verified" });
  await h.store.alertCases().upsertCase({ id: D1, rule: "D1", kind: "billed_not_verified", severity: "warning", site: SITE_A, patientRef: "e".repeat(64), occurredAt: MARCH_END, source: "reconcile", body, published: false }, MARCH_END + 3_600_000, "rules");
  await act(D1, "acknowledge");
  await act(D1, "confirm", { note: '=HYPERLINK("http://evil.example/","x")' });
  await act(D1, "close");
});

afterAll(async () => {
  await h.close();
});

describe("an institution's confirmed cases", () => {
  it("counts the confirmed and the closed-after-confirming case, with who confirmed, the note, the watch list and the evidence path", async () => {
    const a = await record(`/api/v1/institutions/${SITE_A}/confirmed-cases`);
    expect(a.totals).toEqual({ cases: 2, patients: 2, repeatPatients: 0, onWatchList: 1 });
    expect(a.cases.map((c) => [c.alertId, c.rule, c.state, c.onWatchList])).toEqual([
      [D1, "D1", "closed", false],
      // Confirming the impersonation put its card on the watch list.
      [alertA, "D2", "confirmed", true],
    ]);
    expect(a.cases[1]).toMatchObject({ confirmedBy: "supervisor:insurer", confirmationNote: "复核录像：非本人", evidencePath: `/api/v1/alerts/${alertA}/evidence` });
    expect(a.cases[1]?.patientMasked).toMatch(/^\d{4}\*+[0-9X]{4}$/);
    // The harness's check-ins happened minutes ago: their CST month, after March's D1.
    const recent = new Date(Date.parse(a.cases[1]?.occurredAt ?? "") + 8 * 3_600_000).toISOString().slice(0, 7);
    expect(a.byMonth).toEqual([{ month: "2026-03", cases: 1, byRule: { D1: 1 } }, { month: recent, cases: 1, byRule: { D2: 1 } }]);
    expect(a.byRule).toEqual([{ rule: "D1", cases: 1 }, { rule: "D2", cases: 1 }]);
    const evidence = await get(a.cases[1]?.evidencePath ?? "");
    expect(evidence.statusCode).toBe(200);
    // B's only case was dismissed: nothing to count.
    expect((await record(`/api/v1/institutions/${SITE_B}/confirmed-cases`)).totals.cases).toBe(0);
  });

  it("keeps to [from, to) of when the fact occurred, and refuses a bad time or format", async () => {
    const april = new Date(Date.parse("2026-04-01T00:00:00+08:00")).toISOString();
    const march = await record(`/api/v1/institutions/${SITE_A}/confirmed-cases?to=${april}`);
    expect(march.cases.map((c) => c.alertId)).toEqual([D1]);
    expect(march).toMatchObject({ from: null, to: april });
    const since = await record(`/api/v1/institutions/${SITE_A}/confirmed-cases?from=${String(MARCH_END + 1)}`);
    expect(since.cases.map((c) => c.alertId)).toEqual([alertA]);
    expect((await get(`/api/v1/institutions/${SITE_A}/confirmed-cases?from=yesterday`)).statusCode).toBe(400);
    expect((await get(`/api/v1/institutions/${SITE_A}/confirmed-cases?format=xlsx`)).statusCode).toBe(400);
  });

  it("gives the case rows as a CSV for Excel: BOM, a file name, formula cells made inert", async () => {
    const response = await get(`/api/v1/institutions/${SITE_A}/confirmed-cases?format=csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(response.headers["content-disposition"]).toBe(`attachment; filename="carewitness-confirmed-cases-${SITE_A}.csv"`);
    const text = response.rawPayload.toString("utf8");
    expect(text.startsWith("\uFEFFalert_id,rule,")).toBe(true);
    const rows = text.slice(1).trimEnd().split("\r\n");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain(`${D1},D1,billed_not_verified,warning,`);
    expect(rows[1]).toContain(`,2026-03-31 23:30:00,2026-03,`);
    expect(rows[1]).toContain(`"'=HYPERLINK(""http://evil.example/"",""x"")"`);
    expect(text).not.toMatch(/(^|,)"?=/m);
    expect(rows[2]).toContain(`${alertA},D2,impersonation_suspected,critical,`);
  });

  it("is the institution's own: a hospital token reads its own, another institution's answers 404", async () => {
    expect((await record(`/api/v1/institutions/${SITE_A}/confirmed-cases`, h.tokens.hospitalA)).totals.cases).toBe(2);
    for (const url of [`/api/v1/institutions/${SITE_A}/confirmed-cases`, `/api/v1/institutions/${SITE_A}/confirmed-cases?format=csv`]) {
      const refused = await get(url, h.tokens.hospitalB);
      expect(refused.statusCode, url).toBe(404);
      expect(refused.body).not.toContain(alertA);
    }
    expect((await record(`/api/v1/institutions/${SITE_B}/confirmed-cases`, h.tokens.hospitalB)).site).toBe(SITE_B);
    expect((await h.app.inject({ url: `/api/v1/institutions/${SITE_A}/confirmed-cases` })).statusCode).toBe(401);
  });

  it("is in the OpenAPI document", async () => {
    const openapi = (await h.app.inject({ url: "/api/v1/openapi.json" })).json<{ paths: Record<string, { get?: { parameters?: { name: string }[] } }> }>();
    const route = openapi.paths["/api/v1/institutions/{site}/confirmed-cases"];
    expect(route?.get?.parameters?.map((p) => p.name).sort()).toEqual(["format", "from", "site", "to"]);
  });
});
