import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBox } from "../../../test/fixtures/signed-events.js";
import { CommandMessage } from "../../../protocol/index.js";
import { recordCommandResponse } from "../../ingest/command-responses.js";
import { apiHarness, bearer, SITE_A, SITE_B, type ApiHarness } from "../api-test-harness.js";

let h: ApiHarness;
const sent: { site: string; box: string; body: string }[] = [];
beforeAll(async () => {
  h = await apiHarness({
    commandBox: (site, box, body) => {
      sent.push({ site, box, body });
      return Promise.resolve();
    },
  });
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

  it("sends a box a command over MQTT, audited with its id; the box's answer lands in the audit log beside it", async () => {
    const box = h.boxes.a.box;
    const response = await h.app.inject({ method: "POST", url: `/api/v1/devices/${box}/commands`, headers: bearer(h.tokens.hospitalA), payload: { command: "resend_outbox", fromSeq: 2 } });
    expect(response.statusCode).toBe(202);
    const view = response.json<{ id: string; site: string; expiresAt: string; issuedAt: string }>();
    expect(view).toMatchObject({ box, site: SITE_A, command: "resend_outbox" });
    expect(Date.parse(view.expiresAt) - Date.parse(view.issuedAt)).toBe(3_600_000);
    const message = CommandMessage.parse(JSON.parse(sent.at(-1)?.body ?? "{}"));
    expect([sent.at(-1)?.site, sent.at(-1)?.box, message.id, message.command, message.args]).toEqual([SITE_A, box, view.id, "resend_outbox", { fromSeq: 2 }]);
    const audit = await h.store.alertCases().auditEntries(0, 1000);
    const entry = audit.find((e) => e.action === "device.command_sent" && e.subject === `device/${box}`);
    expect(entry).toMatchObject({ actor: "hospital:alpha it", site: SITE_A });
    expect(JSON.parse(entry?.detail ?? "{}")).toMatchObject({ commandId: view.id, command: "resend_outbox", args: { fromSeq: 2 } });
    // The hook does not write a second, anonymous copy of the same change.
    expect(audit.filter((e) => e.subject === `/api/v1/devices/:box/commands`)).toEqual([]);

    const answer = { v: 1, commandId: view.id, at: new Date().toISOString(), status: "ok", error: null, data: { requeued: 2, heldFrom: 2 } };
    const topic = { raw: `cw/v1/${SITE_A}/${box}/responses`, site: SITE_A, box };
    const context = { receivedAt: Date.now(), gatewayId: "api-test", payloadCapBytes: 1024 };
    expect(await recordCommandResponse(h.store, topic, Buffer.from(JSON.stringify(answer)), context)).toBe("recorded");
    const answered = (await h.store.alertCases().auditEntries(0, 1000)).find((e) => e.action === "device.command_answered");
    expect(answered).toMatchObject({ actor: `box:${box}`, subject: `device/${box}`, site: SITE_A });
    expect(JSON.parse(answered?.detail ?? "{}")).toMatchObject({ commandId: view.id, status: "ok", data: { requeued: 2 } });
    // A malformed answer, or one on another institution's topic, is quarantined with its reason.
    expect(await recordCommandResponse(h.store, topic, Buffer.from("{not json"), context)).toBe("quarantined");
    expect(await recordCommandResponse(h.store, { ...topic, site: SITE_B, raw: `cw/v1/${SITE_B}/${box}/responses` }, Buffer.from(JSON.stringify(answer)), context)).toBe("quarantined");
    const reasons = (await h.store.queryQuarantine({ box }, { limit: 10 })).items.map((q) => q.reason);
    expect(reasons).toEqual(expect.arrayContaining(["invalid_json", "unknown_box"]));
  });

  it("refuses a command for another institution's box (404), resend_outbox without fromSeq (400), the watch list (400), and a supervisor (403)", async () => {
    const before = sent.length;
    const url = (box: string) => `/api/v1/devices/${box}/commands`;
    expect((await h.app.inject({ method: "POST", url: url(h.boxes.b.box), headers: bearer(h.tokens.hospitalA), payload: { command: "report_health" } })).statusCode).toBe(404);
    const noSeq = await h.app.inject({ method: "POST", url: url(h.boxes.a.box), headers: bearer(h.tokens.admin), payload: { command: "resend_outbox" } });
    expect([noSeq.statusCode, noSeq.json<{ error: { message: string } }>().error.message]).toEqual([400, "resend_outbox needs fromSeq"]);
    expect((await h.app.inject({ method: "POST", url: url(h.boxes.a.box), headers: bearer(h.tokens.admin), payload: { command: "watch_list_update" } })).statusCode).toBe(400);
    expect((await h.app.inject({ method: "POST", url: url(h.boxes.a.box), headers: bearer(h.tokens.supervisor), payload: { command: "report_health" } })).statusCode).toBe(403);
    expect(sent.length).toBe(before);
  });
});
