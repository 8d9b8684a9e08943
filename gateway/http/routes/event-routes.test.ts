import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicKeyFromRaw, verifyEventSignature, type EventMessage } from "../../../protocol/index.js";
import { apiHarness, bearer, SITE_A, SITE_B, type ApiHarness } from "../api-test-harness.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => {
  await h.close();
});

interface EventPage {
  items: { event: EventMessage; receivedAt: string }[];
  nextCursor: string | null;
  total: number;
}

async function events(query: string): Promise<EventPage> {
  const response = await h.app.inject({ url: `/api/v1/events${query}`, headers: bearer(h.tokens.supervisor) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<EventPage>();
}

describe("event routes", () => {
  it("returns each event exactly as its box signed it, so supervisors can re-verify the evidence", async () => {
    const id = h.eventIds.a[0] ?? "";
    const { event } = (await h.app.inject({ url: `/api/v1/events/${id}`, headers: bearer(h.tokens.supervisor) })).json<{ event: EventMessage }>();
    expect(verifyEventSignature(event, publicKeyFromRaw(h.boxes.a.publicKey), h.boxes.a.keyId)).toEqual({ ok: true });
  });

  it("filters by institution, box, outcome and time", async () => {
    expect((await events(`?site=${SITE_A}`)).total).toBe(3);
    expect((await events(`?box=${h.boxes.b.box}`)).items.every((i) => i.event.box === h.boxes.b.box)).toBe(true);
    const mismatches = await events("?outcome=face_mismatch");
    expect(mismatches.total).toBe(2);
    expect(mismatches.items.map((i) => i.event.verification.outcome)).toEqual(["face_mismatch", "face_mismatch"]);
    const all = await events("");
    const times = all.items.map((i) => Date.parse(i.event.clock.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const middle = times[2] ?? 0;
    const recent = await events(`?from=${middle}`);
    expect(recent.items.every((i) => Date.parse(i.event.clock.at) >= middle)).toBe(true);
    expect(recent.total).toBe(times.filter((t) => t >= middle).length);
    expect((await events(`?to=${new Date(middle).toISOString()}`)).total).toBe(times.filter((t) => t < middle).length);
  });

  it("pages through every event exactly once", async () => {
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page: EventPage = await events(`?limit=2${cursor === "" ? "" : `&cursor=${encodeURIComponent(cursor)}`}`);
      seen.push(...page.items.map((i) => i.event.id));
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
  });

  it("rejects an unknown filter or a malformed value with a reason", async () => {
    const unknown = await h.app.inject({ url: "/api/v1/events?colour=red", headers: bearer(h.tokens.supervisor) });
    expect(unknown.statusCode).toBe(400);
    const badOutcome = await h.app.inject({ url: "/api/v1/events?outcome=maybe", headers: bearer(h.tokens.supervisor) });
    expect(badOutcome.statusCode).toBe(400);
    expect(badOutcome.json<{ error: { message: string } }>().error.message).toContain("outcome");
  });
});

describe("quarantine and alert routes", () => {
  it("lists quarantined messages with reason, step and raw payload, and counts them", async () => {
    const page = (await h.app.inject({ url: "/api/v1/quarantine?reason=invalid_json", headers: bearer(h.tokens.admin) })).json<{
      items: { reason: string; step: string; payloadBase64: string; detail: string }[];
    }>();
    expect(page.items).toHaveLength(2);
    expect(page.items[0]).toMatchObject({ reason: "invalid_json", step: "parse" });
    expect(Buffer.from(page.items[0]?.payloadBase64 ?? "", "base64").toString()).toMatch(/^\{"broken": [ab]$/);
    const counts = (await h.app.inject({ url: "/api/v1/quarantine/counts", headers: bearer(h.tokens.admin) })).json<{
      total: { messages: number };
      byReason: { reason: string; messages: number }[];
    }>();
    expect(counts.total.messages).toBe(2);
    expect(counts.byReason).toEqual([expect.objectContaining({ reason: "invalid_json", messages: 2 })]);
  });

  it("lists one impersonation alert per mismatch with the event as evidence", async () => {
    const page = (await h.app.inject({ url: "/api/v1/alerts", headers: bearer(h.tokens.supervisor) })).json<{
      items: { alert: { kind: string; evidence: { eventIds: string[] } } }[];
    }>();
    expect(page.items.map((i) => i.alert.kind)).toEqual(["impersonation_suspected", "impersonation_suspected"]);
    const evidence = page.items.flatMap((i) => i.alert.evidence.eventIds).sort();
    expect(evidence).toEqual([h.eventIds.a[1], h.eventIds.b[1]].sort());
  });
});

describe("attestation counts", () => {
  it("counts nurse attestations per institution, nurse and reason; a hospital token sees only its own", async () => {
    const nurse = "9".repeat(64);
    const records = [SITE_A, SITE_A, SITE_B].map((site, i) => {
      const box = site === SITE_A ? h.boxes.a.box : h.boxes.b.box;
      const body = JSON.stringify({ verification: { outcome: "attested", attestation: { staffRef: nurse, staffRole: "nurse", reason: "bandage" } } });
      return { id: `0193b6a0-0000-7000-8000-0000000000a${String(i)}`, site, box, seq: 900 + i, kind: "dialysis.check_in" as const, outcome: "attested" as const, occurredAt: Date.now(), receivedAt: Date.now(), subjectRef: null, bodyHash: String(i).repeat(64), body, gatewayId: "gw-test" };
    });
    await h.store.commitBatch({ events: records, quarantine: [], alerts: [] });
    const counts = async (token: string, query = ""): Promise<{ site: string; staffRef: string; reason: string; count: number }[]> => {
      const response = await h.app.inject({ url: `/api/v1/attestations${query}`, headers: bearer(token) });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ items: { site: string; staffRef: string; reason: string; count: number }[] }>().items;
    };
    expect(await counts(h.tokens.supervisor)).toEqual([
      { site: SITE_A, staffRef: nurse, reason: "bandage", count: 2 },
      { site: SITE_B, staffRef: nurse, reason: "bandage", count: 1 },
    ]);
    expect(await counts(h.tokens.hospitalB)).toEqual([{ site: SITE_B, staffRef: nurse, reason: "bandage", count: 1 }]);
    expect((await h.app.inject({ url: `/api/v1/attestations?site=${SITE_A}`, headers: bearer(h.tokens.hospitalB) })).statusCode).toBe(403);
  });
});
