import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBox } from "../../../test/fixtures/signed-events.js";
import { apiHarness, bearer, SITE_A, type ApiHarness } from "../api-test-harness.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => {
  await h.close();
});

describe("device routes", () => {
  const fresh = testBox("alpha-ward-9", SITE_A);
  const body = { box: fresh.box, site: SITE_A, role: "ward_round", location: "5B", publicKey: fresh.publicKey };

  it("registers a box (201), confirms the same registration (200) and refuses another key (409)", async () => {
    const headers = bearer(h.tokens.hospitalA);
    const created = await h.app.inject({ method: "POST", url: "/api/v1/devices", headers, payload: body });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ box: fresh.box, keyId: fresh.keyId, enabled: true, state: null });
    expect((await h.app.inject({ method: "POST", url: "/api/v1/devices", headers, payload: body })).statusCode).toBe(200);
    const other = testBox("someone-else", SITE_A);
    const conflict = await h.app.inject({ method: "POST", url: "/api/v1/devices", headers, payload: { ...body, publicKey: other.publicKey } });
    expect(conflict.statusCode).toBe(409);
    expect((await h.store.getDevice(fresh.box))?.keyId).toBe(fresh.keyId);
  });

  it("lets only an admin replace a box's key", async () => {
    const other = testBox("replacement", SITE_A);
    const payload = { ...body, publicKey: other.publicKey };
    const url = "/api/v1/devices?replaceKey=true";
    expect((await h.app.inject({ method: "POST", url, headers: bearer(h.tokens.hospitalA), payload })).statusCode).toBe(403);
    const replaced = await h.app.inject({ method: "POST", url, headers: bearer(h.tokens.admin), payload });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json<{ keyId: string }>().keyId).toBe(other.keyId);
  });

  it("rejects a malformed registration with the field and the reason", async () => {
    const headers = bearer(h.tokens.admin);
    const badKey = await h.app.inject({ method: "POST", url: "/api/v1/devices", headers, payload: { ...body, box: "x-2", publicKey: "short" } });
    expect(badKey.statusCode).toBe(400);
    expect(badKey.json<{ error: { message: string } }>().error.message).toContain("publicKey");
    const badBox = await h.app.inject({ method: "POST", url: "/api/v1/devices", headers, payload: { ...body, box: "has/slash" } });
    expect(badBox.statusCode).toBe(400);
    expect(badBox.json<{ error: { message: string } }>().error.message).toContain("box");
    const extra = await h.app.inject({ method: "POST", url: "/api/v1/devices", headers, payload: { ...body, box: "x-3", owner: "me" } });
    expect(extra.statusCode).toBe(400);
  });

  it("shows a box with its sequence statistics", async () => {
    const detail = await h.app.inject({ url: `/api/v1/devices/${h.boxes.a.box}`, headers: bearer(h.tokens.supervisor) });
    expect(detail.json()).toMatchObject({ box: h.boxes.a.box, sequence: { stored: 3, maxSeq: 3, missing: 0 } });
  });
});
