import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiHarness, bearer, SITE_A, SITE_B, type ApiHarness } from "./api-test-harness.js";

/** Authentication, roles, and above all: a hospital token never sees another institution's data. */
let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => {
  await h.close();
});

describe("authentication", () => {
  it("refuses every /api/v1 route without a token or with an unknown one", async () => {
    for (const url of ["/api/v1/devices", "/api/v1/events", "/api/v1/quarantine", "/api/v1/quarantine/counts", "/api/v1/alerts"]) {
      const none = await h.app.inject({ url });
      expect(none.statusCode, url).toBe(401);
      expect(none.json<{ error: { code: string } }>().error.code).toBe("unauthenticated");
      const wrong = await h.app.inject({ url, headers: bearer("cwt_not-a-real-token") });
      expect(wrong.statusCode, url).toBe(401);
    }
  });

  it("serves health and the OpenAPI document without a token", async () => {
    expect((await h.app.inject({ url: "/health" })).json()).toMatchObject({ status: "ok" });
    const openapi = (await h.app.inject({ url: "/api/v1/openapi.json" })).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(["/api/v1/devices", "/api/v1/events", "/api/v1/events/{id}", "/api/v1/quarantine", "/api/v1/alerts"]),
    );
  });
});

describe("a hospital token is confined to its own institution", () => {
  const lists = ["/api/v1/devices", "/api/v1/events", "/api/v1/quarantine", "/api/v1/alerts"];

  it("list routes return only its own institution's rows", async () => {
    for (const url of lists) {
      const response = await h.app.inject({ url, headers: bearer(h.tokens.hospitalA) });
      expect(response.statusCode, url).toBe(200);
      const items = response.json<{ items: unknown[] }>().items;
      expect(items.length, url).toBeGreaterThan(0);
      expect(JSON.stringify(items), url).not.toContain(SITE_B);
    }
    const counts = (await h.app.inject({ url: "/api/v1/quarantine/counts", headers: bearer(h.tokens.hospitalA) })).json<{ total: { messages: number } }>();
    expect(counts.total.messages).toBe(1);
  });

  it("asking a list route for another institution is refused", async () => {
    for (const url of [...lists, "/api/v1/quarantine/counts"]) {
      const response = await h.app.inject({ url: `${url}?site=${SITE_B}`, headers: bearer(h.tokens.hospitalA) });
      expect(response.statusCode, url).toBe(403);
    }
  });

  it("single resources of another institution are not found", async () => {
    const other = [
      `/api/v1/devices/${h.boxes.b.box}`,
      `/api/v1/devices/${h.boxes.b.box}/status-history`,
      ...h.eventIds.b.map((id) => `/api/v1/events/${id}`),
    ];
    for (const url of other) {
      expect((await h.app.inject({ url, headers: bearer(h.tokens.hospitalA) })).statusCode, url).toBe(404);
      expect((await h.app.inject({ url, headers: bearer(h.tokens.hospitalB) })).statusCode, url).toBe(200);
    }
  });

  it("cannot register a box for another institution, nor take over another's box id", async () => {
    const body = { box: "beta-new", site: SITE_B, role: "dialysis_station", location: null, publicKey: h.boxes.a.publicKey };
    const foreign = await h.app.inject({ method: "POST", url: "/api/v1/devices", headers: bearer(h.tokens.hospitalA), payload: body });
    expect(foreign.statusCode).toBe(403);
    const takeover = await h.app.inject({
      method: "POST",
      url: "/api/v1/devices",
      headers: bearer(h.tokens.hospitalA),
      payload: { ...body, box: h.boxes.b.box, site: SITE_A },
    });
    expect(takeover.statusCode).toBe(409);
    expect((await h.store.getDevice(h.boxes.b.box))?.site).toBe(SITE_B);
  });

  it("reaches every route of the OpenAPI document without leaking the other institution", async () => {
    const openapi = (await h.app.inject({ url: "/api/v1/openapi.json" })).json<{ paths: Record<string, Record<string, unknown>> }>();
    for (const [path, methods] of Object.entries(openapi.paths)) {
      if (!("get" in methods) || !path.startsWith("/api/v1/")) continue;
      const concrete = path.replace("{box}", h.boxes.b.box).replace("{id}", h.eventIds.b[0] ?? "");
      const response = await h.app.inject({ url: concrete, headers: bearer(h.tokens.hospitalA) });
      expect([200, 404], path).toContain(response.statusCode);
      expect(response.body, path).not.toContain(SITE_B);
      expect(response.body, path).not.toContain(h.boxes.b.publicKey);
    }
  });
});

describe("roles", () => {
  it("a supervisor reads every institution but cannot register or disable boxes", async () => {
    const events = (await h.app.inject({ url: "/api/v1/events", headers: bearer(h.tokens.supervisor) })).json<{ total: number }>();
    expect(events.total).toBe(6);
    const register = await h.app.inject({
      method: "POST",
      url: "/api/v1/devices",
      headers: bearer(h.tokens.supervisor),
      payload: { box: "x-1", site: SITE_A, role: "ward_round", location: "5B", publicKey: h.boxes.a.publicKey },
    });
    expect(register.statusCode).toBe(403);
    const disable = await h.app.inject({ method: "PATCH", url: `/api/v1/devices/${h.boxes.a.box}`, headers: bearer(h.tokens.supervisor), payload: { enabled: false } });
    expect(disable.statusCode).toBe(403);
  });

  it("a hospital cannot disable boxes, even its own; an admin can", async () => {
    const url = `/api/v1/devices/${h.boxes.a.box}`;
    expect((await h.app.inject({ method: "PATCH", url, headers: bearer(h.tokens.hospitalA), payload: { enabled: false } })).statusCode).toBe(403);
    const done = await h.app.inject({ method: "PATCH", url, headers: bearer(h.tokens.admin), payload: { enabled: false } });
    expect(done.json<{ enabled: boolean }>().enabled).toBe(false);
    await h.app.inject({ method: "PATCH", url, headers: bearer(h.tokens.admin), payload: { enabled: true } });
  });
});

describe("site filter for wide roles", () => {
  it("narrows supervisor queries to the named institution", async () => {
    const body = (await h.app.inject({ url: `/api/v1/events?site=${SITE_A}`, headers: bearer(h.tokens.supervisor) })).json<{ total: number; items: { event: { site: string } }[] }>();
    expect(body.total).toBe(3);
    expect(body.items.every((i) => i.event.site === SITE_A)).toBe(true);
  });
});
