import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../../alerts/audit-chain.js";
import { openSqliteStore } from "../../store/sqlite-store.js";
import { newApiToken } from "../api-auth.js";
import { apiHarness, bearer, SITE_A, type ApiHarness } from "../api-test-harness.js";
import { buildGatewayApi } from "../build-gateway-api.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => {
  await h.close();
});

describe("webhook subscriptions", () => {
  it("an admin subscribes (the secret is shown once), lists and deletes; others may not subscribe", async () => {
    const created = await h.app.inject({ method: "POST", url: "/api/v1/webhooks", headers: bearer(h.tokens.admin), payload: { url: "https://insurer.example/carewitness", site: SITE_A } });
    expect(created.statusCode).toBe(201);
    const hook = created.json<{ id: string; secret: string; site: string }>();
    expect(hook.secret).toMatch(/^whsec_/);
    for (const token of [h.tokens.supervisor, h.tokens.hospitalA]) {
      expect((await h.app.inject({ method: "POST", url: "/api/v1/webhooks", headers: bearer(token), payload: { url: "https://x.example/" } })).statusCode).toBe(403);
    }
    const listed = await h.app.inject({ url: "/api/v1/webhooks", headers: bearer(h.tokens.admin) });
    expect(listed.json<{ items: Record<string, unknown>[] }>().items).toEqual([expect.objectContaining({ id: hook.id, site: SITE_A, pendingDeliveries: 0 })]);
    expect(listed.body).not.toContain(hook.secret);
    expect((await h.app.inject({ url: "/api/v1/webhooks", headers: bearer(h.tokens.hospitalB) })).json<{ items: unknown[] }>().items).toEqual([]);
    expect((await h.app.inject({ method: "DELETE", url: `/api/v1/webhooks/${hook.id}`, headers: bearer(h.tokens.admin) })).statusCode).toBe(204);
    expect((await h.app.inject({ method: "DELETE", url: `/api/v1/webhooks/${hook.id}`, headers: bearer(h.tokens.admin) })).statusCode).toBe(404);
  });

  it("every configuration change made through the API lands in the audit chain, without secrets", async () => {
    const registered = await h.app.inject({
      method: "PATCH",
      url: `/api/v1/devices/${h.boxes.a.box}`,
      headers: bearer(h.tokens.admin),
      payload: { enabled: false },
    });
    expect(registered.statusCode).toBe(200);
    const entries = await h.store.alertCases().auditEntries(0, 1000);
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(["webhook.created", "webhook.deleted", "api.patch"]));
    const patch = entries.find((e) => e.action === "api.patch");
    expect(patch).toMatchObject({ actor: "admin:admin", subject: "/api/v1/devices/:box" });
    expect(JSON.parse(patch?.detail ?? "{}")).toEqual({ params: { box: h.boxes.a.box }, body: { enabled: false } });
    expect(entries.map((e) => e.detail).join("\n")).not.toContain("whsec_");
    expect(await verifyAuditChain(h.store.alertCases())).toMatchObject({ intact: true });
  });
});

describe("billing imports in the audit chain", () => {
  it("records who imported what and the counts the import answered", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    await store.migrate();
    const { token, tokenHash } = newApiToken();
    await store.createApiToken({ name: "his", role: "hospital", site: "H50010600123", tokenHash, createdAt: Date.now() });
    const app = await buildGatewayApi({ store, health: () => ({}), pseudonymKey: createHash("sha256").update("audit test key").digest() });
    const csv = readFileSync(new URL("../../billing/test-fixtures/golden-example.csv", import.meta.url));
    const imported = await app.inject({ method: "POST", url: "/api/v1/billing", headers: { ...bearer(token), "content-type": "text/csv" }, payload: csv });
    expect(imported.statusCode, imported.body).toBe(200);
    const [entry, ...rest] = await store.alertCases().auditEntries(0, 10);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ actor: "hospital:his", action: "billing.imported", subject: "/api/v1/billing", site: "H50010600123" });
    expect(JSON.parse(entry?.detail ?? "{}")).toMatchObject({ result: { stored: 2, duplicates: 0, rejected: 0, encoding: "utf-8" } });
    await app.close();
    await store.close();
  });
});
