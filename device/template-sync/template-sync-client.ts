import type { KeyObject } from "node:crypto";
import { SealedTemplate, signBoxRequest, TemplatePage } from "../../protocol/index.js";
import type { Clock } from "../ports.js";

/**
 * The box's REST calls for template sync (protocol/messages/box-rest.ts), each signed with the box's
 * Ed25519 key (protocol/box-request-signature.ts). Failures are typed values, never throws: sync runs
 * in the background and simply tries again later.
 */
export interface TemplateSyncIdentity {
  readonly gatewayUrl: string;
  readonly box: string;
  readonly signingKey: KeyObject;
  readonly clock: Clock;
  readonly timeoutMs?: number | undefined;
}

export type SyncCall<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: "unreachable" | "refused" | "bad_answer"; readonly detail: string };

export interface TemplateSyncClient {
  upload(template: SealedTemplate): Promise<SyncCall<{ result: "stored" | "duplicate"; seq: number }>>;
  pull(after: number, limit: number): Promise<SyncCall<TemplatePage>>;
}

export function templateSyncClient(identity: TemplateSyncIdentity): TemplateSyncClient {
  async function call(method: "GET" | "POST", path: string, body: Buffer | null): Promise<SyncCall<unknown>> {
    const headers = signBoxRequest({ method, path, box: identity.box, at: identity.clock.now(), body: body ?? Buffer.alloc(0) }, identity.signingKey);
    let response: Response;
    try {
      response = await fetch(new URL(path, identity.gatewayUrl), {
        method,
        headers: body === null ? headers : { ...headers, "content-type": "application/json" },
        ...(body === null ? {} : { body }),
        signal: AbortSignal.timeout(identity.timeoutMs ?? 30_000),
      });
    } catch (error) {
      return { ok: false, problem: "unreachable", detail: (error as Error).message };
    }
    const text = await response.text();
    if (!response.ok) return { ok: false, problem: "refused", detail: `${response.status}: ${text.slice(0, 300)}` };
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, problem: "bad_answer", detail: `${path} answered with a body that is not JSON` };
    }
  }

  return {
    async upload(template) {
      const answer = await call("POST", "/box/v1/templates", Buffer.from(JSON.stringify(template)));
      if (!answer.ok) return answer;
      const value = answer.value as { result?: unknown; seq?: unknown };
      if ((value.result !== "stored" && value.result !== "duplicate") || typeof value.seq !== "number") {
        return { ok: false, problem: "bad_answer", detail: "upload answer is not {result, seq}" };
      }
      return { ok: true, value: { result: value.result, seq: value.seq } };
    },
    async pull(after, limit) {
      const answer = await call("GET", `/box/v1/templates?after=${String(after)}&limit=${String(limit)}`, null);
      if (!answer.ok) return answer;
      const page = TemplatePage.safeParse(answer.value);
      return page.success ? { ok: true, value: page.data } : { ok: false, problem: "bad_answer", detail: `template page does not validate: ${page.error.issues[0]?.message ?? ""}` };
    },
  };
}
