import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerBoxes } from "./device-registration.js";
import { planFleet } from "./fleet-plan.js";

// A tiny in-process registry with the gateway's rules (201 new, 200 same key, 409 other key), so the
// client's real HTTP requests are exercised without the gateway's internals.
const registered = new Map<string, string>();
const seen: { authorization: string | undefined; body: Record<string, unknown> }[] = [];
let server: Server;
let url: string;

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of request) text += String(chunk);
  return JSON.parse(text) as Record<string, unknown>;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void readBody(request).then((body) => {
      seen.push({ authorization: request.headers.authorization, body });
      if (request.url !== "/api/v1/devices" || request.method !== "POST") return response.writeHead(404).end();
      if (request.headers.authorization !== "Bearer secret") return response.writeHead(401).end('{"error":"unauthorised"}');
      const box = String(body.box);
      const key = String(body.publicKey);
      const known = registered.get(box);
      if (known !== undefined && known !== key) return response.writeHead(409).end(`{"error":"conflict","detail":"${box} has another key"}`);
      registered.set(box, key);
      response.writeHead(known === undefined ? 201 : 200).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
});

describe("registerBoxes", () => {
  const fleet = planFleet({ seed: "registration", sites: 1, stationsPerSite: 2, wardsPerSite: 1 });

  it("sends box, site, role, location and raw public key with the bearer token; counts created, then unchanged", async () => {
    const first = await registerBoxes(fleet.boxes, { gatewayUrl: url, gatewayToken: "secret" });
    expect(first).toMatchObject({ skipped: false, created: 3, unchanged: 0, conflicts: [], failures: [] });
    const ward = fleet.boxes.find((b) => b.role === "ward_round");
    expect(seen.find((s) => s.body.box === ward?.box)).toEqual({
      authorization: "Bearer secret",
      body: { box: ward?.box, site: ward?.site, role: "ward_round", location: ward?.location, publicKey: ward?.publicKey },
    });
    expect(await registerBoxes(fleet.boxes, { gatewayUrl: url, gatewayToken: "secret" })).toMatchObject({ created: 0, unchanged: 3 });
  });

  it("reports a box registered with another key as a conflict, and refusals as failures", async () => {
    const rekeyed = planFleet({ seed: "another seed", sites: 1, stationsPerSite: 2, wardsPerSite: 1 });
    const report = await registerBoxes(rekeyed.boxes, { gatewayUrl: url, gatewayToken: "secret" });
    expect(report.conflicts.map((c) => c.box)).toEqual(rekeyed.boxes.map((b) => b.box));
    expect(report.conflicts[0]?.detail).toContain("another key");
    const refused = await registerBoxes(fleet.boxes.slice(0, 1), { gatewayUrl: url, gatewayToken: "wrong" });
    expect(refused.failures).toEqual([{ box: fleet.boxes[0]?.box, status: 401, detail: '{"error":"unauthorised"}' }]);
  });

  it("reports an unreachable gateway as a failure per box, without throwing", async () => {
    const report = await registerBoxes(fleet.boxes.slice(0, 2), { gatewayUrl: "http://127.0.0.1:9", timeoutMs: 2000 });
    expect(report.failures.map((f) => f.status)).toEqual([null, null]);
  });
});
