import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { newApiToken } from "../gateway/http/api-auth.js";
import { runFleetSimulation, type SimulationSummary } from "../simulator/fleet/fleet-simulation.js";
import { SimulationOptions } from "../simulator/fleet/simulation-options.js";

/**
 * The fleet simulator against a real gateway on the embedded broker: boxes registered through the
 * REST API, seeded traffic with every kind of hostile message, and the gateway's answers compared with
 * the ground truth — every valid event stored once, every hostile message quarantined with the reason
 * it was planned with, one alert per mismatch, spoof and absence.
 */
let dir: string;
let gateway: RunningGateway;
let summary: SimulationSummary;
const PREFIX = `SIMGW${Date.now().toString(36)}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-simgw-"));
  gateway = await startGateway({
    store: { kind: "sqlite", path: join(dir, "gateway.db") },
    mqtt: { url: null, embeddedPort: 0 },
    http: { port: 0 },
    ingest: { verifyWorkers: 1 },
  });
  const { token, tokenHash } = newApiToken();
  await gateway.store.createApiToken({ name: "sim", role: "admin", site: null, tokenHash, createdAt: Date.now() });
  summary = await runFleetSimulation(
    SimulationOptions.parse({
      mqttUrl: gateway.mqttUrl,
      protocolVersion: 4,
      gatewayUrl: gateway.httpUrl,
      gatewayToken: token,
      seed: "simulator-against-gateway",
      sites: 2,
      siteIdPrefix: PREFIX,
      days: 2,
      endAt: Date.now(),
      badShare: 0.08,
      resendAfterMs: 3000,
      deadlineMs: 60_000,
      clearRetainedStatus: true,
    }),
  );
}, 120_000);

afterAll(async () => {
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("simulated fleet against the gateway", () => {
  it("registers every box through the REST API and gets every valid event acked", () => {
    expect(summary.registration.failures).toEqual([]);
    expect(summary.registration.conflicts).toEqual([]);
    expect(summary.registration.created).toBe(summary.boxes);
    expect(summary.unacked).toEqual([]);
    expect(summary.stoppedBy).toBe("complete");
    expect(summary.mismatches).toEqual([]);
  });

  it("stores each valid event exactly once", async () => {
    expect(await gateway.store.countEvents({})).toBe(summary.planned.valid);
    for (const [outcome, count] of Object.entries(summary.planned.validByOutcome)) {
      expect(await gateway.store.countEvents({ outcome: outcome as never }), outcome).toBe(count);
    }
  });

  it("quarantines every hostile message with the reason it was planned with", async () => {
    const counts = await gateway.store.countQuarantine({});
    const byReason = Object.fromEntries(counts.map((c) => [c.reason, c.messages]));
    const planned = Object.fromEntries(Object.entries(summary.planned.defectsByReason).filter(([, n]) => n > 0));
    expect(Object.keys(planned).length).toBeGreaterThanOrEqual(10);
    expect(byReason).toEqual(planned);
  });

  it("raises one alert per face mismatch, suspected spoof and absent inpatient", async () => {
    const alerts = await gateway.store.queryAlerts({}, { limit: 1000 });
    const byKind = (kind: string): number => alerts.items.filter((a) => a.kind === kind).length;
    expect(byKind("impersonation_suspected")).toBe(summary.planned.validByOutcome.face_mismatch);
    expect(byKind("spoof_suspected")).toBe(summary.planned.validByOutcome.suspected_spoof);
    expect(byKind("absent_inpatient")).toBe(summary.planned.validByOutcome.absent);
  });
});
