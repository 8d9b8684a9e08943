import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AlertCaseDraft } from "../store/alert-case-records.js";
import type { GatewayStore } from "../store/gateway-store.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { backoffMs, createWebhookDispatcher, SIGNATURE_HEADER, signWebhook, verifyWebhookSignature } from "./webhook-delivery.js";

/** A receiver that answers with the next status of a script and records what it got. */
interface Receiver {
  readonly url: string;
  readonly got: { body: string; signature: string }[];
  statuses: number[];
  close(): Promise<void>;
}

async function receiver(statuses: number[]): Promise<Receiver> {
  const got: { body: string; signature: string }[] = [];
  const state = { statuses };
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      got.push({ body, signature: String(request.headers[SIGNATURE_HEADER]) });
      response.statusCode = state.statuses.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/hook`,
    got,
    get statuses() {
      return state.statuses;
    },
    set statuses(next) {
      state.statuses = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SECRET = "whsec_test";
const T0 = 1_764_000_000_000;
const HOOK = "00000000-0000-4000-8000-00000000000a";
const caseDraft: AlertCaseDraft = {
  id: "c".repeat(32), rule: "D1", kind: "billed_not_verified", severity: "warning", site: "H1", patientRef: null, occurredAt: T0, source: "reconcile", published: false,
  body: JSON.stringify({ v: 1, id: "c".repeat(32), kind: "billed_not_verified", rule: "D1", severity: "warning", site: "H1", raisedAt: new Date(T0).toISOString(), subject: null, evidence: { eventIds: [], boxes: [] }, summary: "s" }),
};

let dir: string;
let path: string;
let rx: Receiver | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cw-webhook-"));
  path = join(dir, "gateway.db");
});
afterEach(async () => {
  await rx?.close();
  rx = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function receiverFor(statuses: number[]): Promise<Receiver> {
  rx = await receiver(statuses);
  return rx;
}

async function subscribedStore(url: string): Promise<GatewayStore> {
  const store = openSqliteStore({ path });
  await store.migrate();
  await store.alertCases().createWebhook({ id: HOOK, url, secret: SECRET, site: null, createdBy: "ops", createdAt: T0 }, { at: T0, actor: "ops", action: "webhook.created", subject: `webhook/${HOOK}`, site: null, detail: {} });
  return store;
}

describe("webhook delivery", () => {
  it("signs the payload with HMAC-SHA256 over timestamp and body; a changed body or an old timestamp fails", () => {
    const header = signWebhook(SECRET, '{"a":1}', T0);
    expect(header).toMatch(/^t=1764000000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, '{"a":1}', header, T0 + 1000)).toBe(true);
    expect(verifyWebhookSignature(SECRET, '{"a":2}', header, T0 + 1000)).toBe(false);
    expect(verifyWebhookSignature("other", '{"a":1}', header, T0 + 1000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, '{"a":1}', header, T0 + 600_000)).toBe(false);
  });

  it("retries with exponential back-off until the receiver answers 2xx", async () => {
    const rx = await receiverFor([500, 503]);
    const store = await subscribedStore(rx.url);
    const clock = { now: T0 };
    await store.alertCases().upsertCase(caseDraft, T0, "rules");
    const dispatcher = createWebhookDispatcher({ store: store.alertCases(), now: () => clock.now, baseBackoffMs: 1000 });
    expect(await dispatcher.deliverDue()).toBe(0); // 500
    expect(await dispatcher.deliverDue()).toBe(0); // not due before 1 s
    clock.now += 1000;
    expect(await dispatcher.deliverDue()).toBe(0); // 503
    clock.now += 1999;
    expect(await dispatcher.deliverDue()).toBe(0); // the second wait is 2 s
    clock.now += 1;
    expect(await dispatcher.deliverDue()).toBe(1);
    expect(rx.got).toHaveLength(3);
    clock.now += 3_600_000;
    expect(await dispatcher.deliverDue()).toBe(0);
    expect(rx.got).toHaveLength(3);
    for (const { body, signature } of rx.got) expect(verifyWebhookSignature(SECRET, body, signature, clock.now, 4_000_000)).toBe(true);
    expect(JSON.parse(rx.got[0]?.body ?? "{}")).toMatchObject({ type: "alert.raised", alert: { id: caseDraft.id, state: "open" } });
    expect([0, 1, 2, 12, 40].map((n) => backoffMs(n))).toEqual([1000, 2000, 4000, 3_600_000, 3_600_000]);
    await store.close();
  });

  it("keeps a pending delivery across a restart and delivers it afterwards", async () => {
    const rx = await receiverFor([500]);
    const first = await subscribedStore(rx.url);
    await first.alertCases().upsertCase(caseDraft, T0, "rules");
    await createWebhookDispatcher({ store: first.alertCases(), now: () => T0, baseBackoffMs: 1 }).deliverDue();
    await first.close();

    const reopened = openSqliteStore({ path });
    await reopened.migrate();
    expect(await reopened.alertCases().pendingDeliveries(HOOK)).toBe(1);
    const delivered = await createWebhookDispatcher({ store: reopened.alertCases(), now: () => T0 + 10, baseBackoffMs: 1 }).deliverDue();
    expect(delivered).toBe(1);
    expect(rx.got.map((g) => (JSON.parse(g.body) as { seq: number }).seq)).toEqual([1, 1]);
    expect(await reopened.alertCases().pendingDeliveries(HOOK)).toBe(0);
    await reopened.close();
  });
});
