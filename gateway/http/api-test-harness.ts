import type { FastifyInstance } from "fastify";
import { boxTopic } from "../../protocol/index.js";
import { payloadOf, registrationOf, signedCheckIn, testBox, type TestBox } from "../../test/fixtures/signed-events.js";
import { createDeviceDirectory } from "../ingest/device-directory.js";
import { createIngestPipeline } from "../ingest/ingest-pipeline.js";
import { createVerifierPool } from "../ingest/verifier-pool.js";
import type { ApiRole, GatewayStore } from "../store/gateway-store.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import { newApiToken } from "./api-auth.js";
import { buildGatewayApi } from "./build-gateway-api.js";

/**
 * A gateway API over an in-memory store holding two institutions' data, fed through the real ingest
 * pipeline: per site one box, three events (one a face mismatch, so an alert), one bad message.
 */
export const SITE_A = "H-ALPHA";
export const SITE_B = "H-BETA";

export interface ApiHarness {
  readonly app: FastifyInstance;
  readonly store: GatewayStore;
  readonly boxes: { readonly a: TestBox; readonly b: TestBox };
  readonly tokens: Record<"admin" | "supervisor" | "hospitalA" | "hospitalB", string>;
  readonly eventIds: { readonly a: readonly string[]; readonly b: readonly string[] };
  close(): Promise<void>;
}

export async function apiHarness(options: { readonly commandBox?: (site: string, box: string, body: string) => Promise<void> } = {}): Promise<ApiHarness> {
  const store = openSqliteStore({ path: ":memory:" });
  await store.migrate();
  const boxes = { a: testBox("alpha-chair-1", SITE_A), b: testBox("beta-chair-1", SITE_B) };
  for (const box of Object.values(boxes)) await store.registerDevice(registrationOf(box));

  const addToken = async (name: string, role: ApiRole, site: string | null): Promise<string> => {
    const { token, tokenHash } = newApiToken();
    await store.createApiToken({ name, role, site, tokenHash, createdAt: Date.now() });
    return token;
  };
  const tokens = {
    admin: await addToken("admin", "admin", null),
    supervisor: await addToken("insurer", "supervisor", null),
    hospitalA: await addToken("alpha it", "hospital", SITE_A),
    hospitalB: await addToken("beta it", "hospital", SITE_B),
  };

  const verifier = createVerifierPool(0);
  const directory = createDeviceDirectory(store);
  const pipeline = createIngestPipeline({
    store,
    directory,
    verifier,
    gatewayId: "api-test",
    limits: { maxBatch: 100, highWater: 1000, maxClockSkewMs: 600_000, maxEventAgeMs: 30 * 86_400_000, quarantinePayloadCapBytes: 1024 },
    output: { publishAck: () => undefined, publishAlert: () => Promise.resolve() },
  });
  const eventIds = { a: [] as string[], b: [] as string[] };
  for (const [key, box] of [["a", boxes.a] as const, ["b", boxes.b] as const]) {
    for (let seq = 1; seq <= 3; seq++) {
      const event = signedCheckIn(box, seq, { outcome: seq === 2 ? "face_mismatch" : "verified", at: new Date(Date.now() - (10 - seq) * 60_000) });
      eventIds[key].push(event.id);
      await pipeline.accept(boxTopic("events", box), payloadOf(event));
    }
    await pipeline.accept(boxTopic("events", box), Buffer.from(`{"broken": ${key}`));
  }
  await pipeline.drained();
  await pipeline.close();

  const app = await buildGatewayApi({ store, health: () => ({ gatewayId: "api-test" }), onDeviceChanged: (box) => directory.invalidate(box), ...(options.commandBox === undefined ? {} : { commandBox: options.commandBox }) });
  return {
    app,
    store,
    boxes,
    tokens,
    eventIds,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
