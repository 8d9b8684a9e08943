import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import iconv from "iconv-lite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApiRole, GatewayStore } from "../../store/gateway-store.js";
import { openSqliteStore } from "../../store/sqlite-store.js";
import { newApiToken } from "../api-auth.js";
import { buildGatewayApi } from "../build-gateway-api.js";

const KEY = createHash("sha256").update("billing route test key").digest();
const GOLDEN = readFileSync(new URL("../../billing/test-fixtures/golden-example.csv", import.meta.url), "utf8");
const OWN = "H50010600123";

describe("POST /api/v1/billing", () => {
  let store: GatewayStore;
  let app: FastifyInstance;
  let tokens: Record<"admin" | "supervisor" | "hospital" | "otherHospital", string>;

  async function token(role: ApiRole, site: string | null): Promise<string> {
    const { token: secret, tokenHash } = newApiToken();
    await store.createApiToken({ name: `${role}-${site ?? "all"}`, role, site, tokenHash, createdAt: Date.now() });
    return secret;
  }

  beforeEach(async () => {
    store = openSqliteStore({ path: ":memory:" });
    await store.migrate();
    tokens = { admin: await token("admin", null), supervisor: await token("supervisor", null), hospital: await token("hospital", OWN), otherHospital: await token("hospital", "H45012400011") };
    app = await buildGatewayApi({ store, health: () => ({}), pseudonymKey: KEY });
  });

  afterEach(async () => {
    await app.close();
    await store.close();
  });

  const post = (body: string | Buffer, bearer: string, contentType = "text/csv") =>
    app.inject({ method: "POST", url: "/api/v1/billing", headers: { authorization: `Bearer ${bearer}`, "content-type": contentType }, payload: body });

  it("a hospital imports its own CSV, and the same file again changes nothing", async () => {
    const first = await post(GOLDEN, tokens.hospital);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ encoding: "utf-8", stored: 2, duplicates: 0, rejected: 0, rejections: [] });
    expect((await post(GOLDEN, tokens.hospital)).json()).toMatchObject({ stored: 0, duplicates: 2 });
    expect((await store.queryBilledItems({ institution: OWN }, { limit: 10 })).items).toHaveLength(2);
  });

  it("another institution's hospital token lands none of these lines, each rejected with its row", async () => {
    const result = (await post(GOLDEN, tokens.otherHospital)).json<{ stored: number; rejections: { row: number; column: string }[] }>();
    expect(result.stored).toBe(0);
    expect(result.rejections.map((r) => [r.row, r.column])).toEqual([
      [2, "institution_code"],
      [3, "institution_code"],
    ]);
  });

  it("takes GB18030 CSV and JSON, and answers bad rows with row, column and reason", async () => {
    const gb = await post(iconv.encode(GOLDEN.replace("110105194912310011", "110105194912310012"), "gb18030"), tokens.admin);
    expect(gb.json()).toMatchObject({ encoding: "gb18030", stored: 1, rejected: 1, rejections: [{ code: "invalid_id_checksum", row: 3, column: "patient_id_number", lineId: "L000002" }] });
    const [header = "", ...rows] = GOLDEN.trim().split("\n");
    const objects = rows.map((row) => Object.fromEntries(header.split(",").map((name, i) => [name, row.split(",")[i] ?? ""])));
    const json = await post(JSON.stringify(objects.map((o) => ({ ...o, line_id: `J-${o.line_id ?? ""}` }))), tokens.admin, "application/json");
    expect(json.json()).toMatchObject({ stored: 2, rejected: 0 });
  });

  it("refuses a supervisor token, and refuses to import without a pseudonym key", async () => {
    expect((await post(GOLDEN, tokens.supervisor)).statusCode).toBe(403);
    const keyless = await buildGatewayApi({ store, health: () => ({}) });
    const response = await keyless.inject({ method: "POST", url: "/api/v1/billing", headers: { authorization: `Bearer ${tokens.admin}`, "content-type": "text/csv" }, payload: GOLDEN });
    expect(response.statusCode).toBe(503);
    await keyless.close();
  });

  it("keeps the JSON body parser of the other routes", async () => {
    const response = await app.inject({ method: "POST", url: "/api/v1/devices", headers: { authorization: `Bearer ${tokens.admin}`, "content-type": "application/json" }, payload: { box: "b1" } });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { message: string } }>().error.message).toContain("body");
  });
});
