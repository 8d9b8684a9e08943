import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { AlertCaseStore, WebhookDelivery } from "../store/alert-case-records.js";

/**
 * Webhook delivery. Each alert change is queued per subscription in the change's own transaction
 * (the store), so a restart never loses a pending delivery. The dispatcher POSTs the JSON payload
 * with a signature header and retries with exponential back-off until the receiver answers 2xx.
 *
 * Signature (as Stripe's): header `X-CareWitness-Signature: t=<unix ms>,v1=<hex>` where hex is
 * HMAC-SHA256(secret, "<t>.<raw body>"). A receiver recomputes it over the raw body and rejects a
 * timestamp too far from its clock, which stops a captured delivery from being replayed later.
 */
export const SIGNATURE_HEADER = "x-carewitness-signature";

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64url")}`;
}

export function signWebhook(secret: string, body: string, timestampMs: number): string {
  const mac = createHmac("sha256", secret).update(`${String(timestampMs)}.${body}`, "utf8").digest("hex");
  return `t=${String(timestampMs)},v1=${mac}`;
}

/** For receivers (and tests): checks a signature header over the raw body within `toleranceMs`. */
export function verifyWebhookSignature(secret: string, body: string, header: string, nowMs: number, toleranceMs = 300_000): boolean {
  const parts = new Map(header.split(",").map((part) => part.split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const given = parts.get("v1");
  if (!Number.isSafeInteger(t) || given === undefined || Math.abs(nowMs - t) > toleranceMs) return false;
  const expected = signWebhook(secret, body, t).split("v1=")[1] ?? "";
  return expected.length === given.length && timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

/** 1 s, 2 s, 4 s, ... capped at one hour. */
export function backoffMs(attempts: number, baseMs = 1000, capMs = 3_600_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(attempts, 30));
}

export interface WebhookDispatcherOptions {
  readonly store: AlertCaseStore;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly baseBackoffMs?: number;
  readonly log?: (level: "info" | "warn" | "error", message: string) => void;
}

export interface WebhookDispatcher {
  /** Attempts every due delivery once; returns how many were delivered. */
  deliverDue(): Promise<number>;
  start(intervalMs: number): void;
  nudge(): void;
  stop(): Promise<void>;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const log = options.log ?? (() => undefined);
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<unknown> = Promise.resolve();

  async function attempt(delivery: WebhookDelivery): Promise<boolean> {
    const at = now();
    let error: string | null = null;
    try {
      const response = await doFetch(delivery.url, {
        method: "POST",
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signWebhook(delivery.secret, delivery.payload, at), "x-carewitness-delivery": String(delivery.id) },
        body: delivery.payload,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (response.status < 200 || response.status > 299) error = `HTTP ${String(response.status)}`;
      await response.body?.cancel();
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const delivered = error === null;
    const nextAttemptAt = delivered ? at : at + backoffMs(delivery.attempts, options.baseBackoffMs);
    await options.store.recordDelivery(delivery.id, { delivered, at, nextAttemptAt, error });
    if (!delivered) log("warn", `webhook ${delivery.webhookId} delivery ${String(delivery.id)} failed (${error ?? ""}); retry at ${new Date(nextAttemptAt).toISOString()}`);
    return delivered;
  }

  async function deliverDue(): Promise<number> {
    let delivered = 0;
    for (const delivery of await options.store.dueDeliveries(now(), 100)) if (await attempt(delivery)) delivered++;
    return delivered;
  }

  const serially = (): Promise<number> => {
    const next = chain.then(deliverDue, deliverDue);
    chain = next.catch((error: unknown) => {
      log("error", `webhook pass failed: ${String(error)}`);
    });
    return next;
  };

  return {
    deliverDue: serially,
    start(intervalMs) {
      timer ??= setInterval(() => void serially().catch(() => undefined), intervalMs);
      timer.unref();
    },
    nudge() {
      void serially().catch(() => undefined);
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await chain;
    },
  };
}
