import type { PlannedBox } from "./fleet-plan.js";

/**
 * Registers the simulated boxes through the gateway's REST API, as an installer would:
 * `POST /api/v1/devices` with the raw Ed25519 public key. 201 created, 200 already registered with
 * this key, 409 registered with another key (reported: that box's events will be wrong_key).
 */
export interface RegistrationReport {
  readonly skipped: boolean;
  readonly created: number;
  readonly unchanged: number;
  readonly conflicts: readonly { readonly box: string; readonly detail: string }[];
  readonly failures: readonly { readonly box: string; readonly status: number | null; readonly detail: string }[];
}

export interface RegistrationTarget {
  readonly gatewayUrl: string;
  readonly gatewayToken?: string | undefined;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  readonly timeoutMs?: number;
}

export const SKIPPED_REGISTRATION: RegistrationReport = { skipped: true, created: 0, unchanged: 0, conflicts: [], failures: [] };

type Answer =
  | { outcome: "created" }
  | { outcome: "unchanged" }
  | { outcome: "conflict"; detail: string }
  | { outcome: "failure"; status: number | null; detail: string };

export async function registerBoxes(boxes: readonly PlannedBox[], target: RegistrationTarget): Promise<RegistrationReport> {
  const url = `${target.gatewayUrl.replace(/\/+$/, "")}/api/v1/devices`;
  const answers = new Map<string, Answer>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < boxes.length) {
      const box = boxes[next++] as PlannedBox;
      answers.set(box.box, await registerOne(url, box, target));
    }
  };
  await Promise.all(Array.from({ length: Math.min(target.concurrency ?? 8, boxes.length) }, worker));

  const report = { skipped: false, created: 0, unchanged: 0, conflicts: [] as { box: string; detail: string }[], failures: [] as { box: string; status: number | null; detail: string }[] };
  for (const box of boxes) {
    const answer = answers.get(box.box);
    if (answer === undefined) continue;
    if (answer.outcome === "created") report.created += 1;
    else if (answer.outcome === "unchanged") report.unchanged += 1;
    else if (answer.outcome === "conflict") report.conflicts.push({ box: box.box, detail: answer.detail });
    else report.failures.push({ box: box.box, status: answer.status, detail: answer.detail });
  }
  return report;
}

async function registerOne(url: string, box: PlannedBox, target: RegistrationTarget): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.gatewayToken !== undefined) headers.authorization = `Bearer ${target.gatewayToken}`;
  const body = JSON.stringify({ box: box.box, site: box.site, role: box.role, location: box.location, publicKey: box.publicKey });
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(target.timeoutMs ?? 10_000) });
  } catch (error) {
    return { outcome: "failure", status: null, detail: `${url}: ${(error as Error).message}` };
  }
  const text = (await response.text()).slice(0, 300);
  if (response.status === 201) return { outcome: "created" };
  if (response.status === 200) return { outcome: "unchanged" };
  if (response.status === 409) return { outcome: "conflict", detail: text };
  return { outcome: "failure", status: response.status, detail: text };
}
