import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { createReadStream, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { personRef } from "../../protocol/index.js";
import { BILLING_REJECTION_CODES, BILLING_REJECTION_DOCS } from "./billed-item.js";
import { collectBillingImport, type BillingImportOptions } from "./billing-import.js";

const run = promisify(execFile);
const KEY = createHash("sha256").update("billing import test key").digest();
const OPTIONS: BillingImportOptions = { pseudonymKey: KEY };
const GOLDEN = new URL("./test-fixtures/golden-example.csv", import.meta.url);

const HEADER =
  "institution_code,settlement_id,line_id,patient_id_type,patient_id_number,patient_name,visit_type,item_code,item_name,service_start,service_end,quantity,unit,unit_price,amount,department,admission_date,service_date";
const GOOD = "H50010600123,S1,L1,01,11010519491231002X,王秀英,outpatient,311000006,血液透析,2026-11-24 07:30,2026-11-24 11:35,1,次,400.00,400.00,肾内科,,";

function row(overrides: Record<string, string>): string {
  const names = HEADER.split(",");
  const cells = GOOD.split(",");
  for (const [name, value] of Object.entries(overrides)) {
    const index = names.indexOf(name);
    if (index < 0) throw new Error(name);
    cells[index] = value;
  }
  return cells.join(",");
}

async function importText(text: string | Buffer, options: Partial<BillingImportOptions> = {}): Promise<Awaited<ReturnType<typeof collectBillingImport>>> {
  return collectBillingImport([typeof text === "string" ? Buffer.from(text, "utf8") : text], { ...OPTIONS, ...options });
}

describe("billing import", () => {
  it("lands the golden rows of billing-format.md with refs, masked names and CST times, never the ID number", async () => {
    const result = await collectBillingImport(createReadStream(GOLDEN), OPTIONS);
    expect(result.rejections).toEqual([]);
    expect(result.encoding).toBe("utf-8");
    expect(result.items).toHaveLength(2);
    const [first, second] = result.items;
    expect(first).toMatchObject({
      institution: "H50010600123",
      settlementId: "S2026112400017",
      lineId: "L000001",
      patientRef: personRef("11010519491231002X", KEY),
      patientNameMasked: "王*英",
      visitType: "outpatient",
      category: "haemodialysis",
      serviceStart: Date.parse("2026-11-23T23:30:00Z"),
      serviceEnd: Date.parse("2026-11-24T03:35:00Z"),
      serviceDate: "2026-11-24",
      quantity: 1,
      unitPriceFen: 40000,
      amountFen: 40000,
      neutralised: [],
    });
    expect(second).toMatchObject({ lineId: "L000002", patientRef: personRef("110105194912310011", KEY), patientNameMasked: "李*国" });
    const stored = JSON.stringify(result.items);
    expect(stored).not.toContain("11010519491231002X");
    expect(stored).not.toContain("110105194912310011");
    expect(stored).not.toContain("王秀英");
  });

  it("reads Chinese column names and national interface names", async () => {
    const chinese =
      "定点医药机构编码,结算ID,费用明细流水号,证件号码,姓名,就诊类型,医疗服务项目编码,服务开始时间,数量,金额\n" +
      "H50010600123,S1,L1,11010519491231002X,张三丰,门诊,311000006,2026-11-24 07:30,1,400.00\n";
    const national =
      "fixmedins_code,setl_id,feedetl_sn,certno,psn_name,visit_type,medins_list_codg,hilist_code,fee_ocur_time,cnt,pric,det_item_fee_sumamt,mdtrt_id,adm_time\n" +
      "H45012400011,S9,F1,110105194912310011,李四,住院,LOCAL-1,110900001,2026-11-24 00:00:00,1,30.00,30.00,MD-7,2026-11-20 10:00:00\n";
    const a = await importText(chinese);
    expect(a.rejections).toEqual([]);
    expect(a.items[0]).toMatchObject({ visitType: "outpatient", patientNameMasked: "张*丰", category: "haemodialysis" });
    const b = await importText(national);
    expect(b.rejections).toEqual([]);
    // hilist_code ranks before medins_list_codg, whatever the column order.
    expect(b.items[0]).toMatchObject({ itemCode: "110900001", category: "bed_day", serviceDate: "2026-11-24", admissionDate: "2026-11-20", visitId: "MD-7", patientNameMasked: "李*" });
  });

  const cases: [string, Record<string, string>, string, string | null][] = [
    ["a wrong check digit", { patient_id_number: "110105194912310012" }, "invalid_id_checksum", "patient_id_number"],
    ["a short ID number", { patient_id_number: "1101051949" }, "invalid_id_number", "patient_id_number"],
    ["an unknown item code", { item_code: "999999999" }, "unknown_item_code", "item_code"],
    ["an end before the start", { service_end: "2026-11-24 06:00" }, "end_before_start", "service_end"],
    ["an unparseable time", { service_start: "24/11/2026 7:30" }, "unparseable_time", "service_start"],
    ["a missing name", { patient_name: "" }, "missing_value", "patient_name"],
    ["a dialysis line without start", { service_start: "", service_end: "" }, "missing_value", "service_start"],
    ["an inpatient line without admission date", { visit_type: "inpatient" }, "missing_value", "admission_date"],
    ["an unknown visit type", { visit_type: "emergency" }, "invalid_value", "visit_type"],
    ["a non-numeric amount", { amount: "four hundred" }, "invalid_number", "amount"],
    ["an amount that is not quantity × price", { amount: "399.99" }, "amount_mismatch", "amount"],
    ["an over-long department", { department: "科".repeat(65) }, "field_too_long", "department"],
    ["an unparseable service date", { service_date: "2026-11-31" }, "unparseable_date", "service_date"],
    ["an institution code unusable as a site id", { institution_code: "H 5001" }, "invalid_value", "institution_code"],
    ["a line id that starts like a formula", { line_id: "=1+1" }, "invalid_value", "line_id"],
  ];
  for (const [what, overrides, code, column] of cases) {
    it(`rejects ${what} as ${code}, with row and column, and lands the good row beside it`, async () => {
      const result = await importText(`${HEADER}\n${GOOD}\n${row({ line_id: "L2", ...overrides })}\n`);
      expect(result.items.map((i) => i.lineId)).toEqual(["L1"]);
      expect(result.rejections).toContainEqual(expect.objectContaining({ code, row: 3, column }));
    });
  }

  it("rejects a discharge before the admission", async () => {
    const header = "institution_code,settlement_id,line_id,patient_id_number,patient_name,visit_type,item_code,service_date,quantity,amount,admission_date,discharge_date";
    const result = await importText(`${header}\nH50010600123,S1,B1,11010519491231002X,王秀英,inpatient,110900001,2026-11-24,1,30,2026-11-20,2026-11-19\n`);
    expect(result.rejections).toEqual([expect.objectContaining({ code: "discharge_before_admission", row: 2, column: "discharge_date", lineId: "B1" })]);
  });

  it("refuses a header without a required column, naming it", async () => {
    const result = await importText(`${HEADER.replace(",amount", ",total")}\n${GOOD}\n`);
    expect(result.items).toEqual([]);
    expect(result.rejections).toEqual([expect.objectContaining({ code: "missing_column", row: 1, column: "amount" })]);
    expect(result.ignoredColumns).toEqual(["total"]);
  });

  it("lands a repeated line once, and rejects the same line id with another body", async () => {
    const text = `${HEADER}\n${GOOD}\n${GOOD}\n${row({ amount: "800.00", quantity: "2" })}\n`;
    const result = await importText(text);
    expect(result.items).toHaveLength(1);
    expect(result.duplicates).toBe(1);
    expect(result.rejections).toEqual([expect.objectContaining({ code: "duplicate_line_conflict", row: 4, column: "line_id", lineId: "L1" })]);
  });

  it("keeps formula-looking text cells neutralised with a leading quote and says so", async () => {
    const result = await importText(`${HEADER}\n${row({ department: '"=HYPERLINK(""http://x"",""y"")"', patient_name: "@王五" })}\n`);
    expect(result.rejections).toEqual([]);
    expect(result.items[0]).toMatchObject({ department: `'=HYPERLINK("http://x","y")`, patientNameMasked: "'@*五", neutralised: ["patient_name", "department"] });
  });

  it("reads a GB18030 file, detected and forced, and flags bad bytes when forced wrong", async () => {
    const text = `${HEADER}\n${GOOD}\n${row({ line_id: "L2", patient_name: "欧阳娜娜" })}\n`;
    const gb = iconv.encode(text, "gb18030");
    const detected = await importText(gb);
    expect(detected.encoding).toBe("gb18030");
    expect(detected.rejections).toEqual([]);
    expect(detected.items.map((i) => i.patientNameMasked)).toEqual(["王*英", "欧**娜"]);
    expect((await importText(gb, { encoding: "gb18030" })).items).toHaveLength(2);
    const forcedWrong = await importText(gb, { encoding: "utf-8" });
    expect(forcedWrong.items).toEqual([]);
    expect(forcedWrong.rejections.map((r) => r.code)).toContain("invalid_encoding");
  });

  it("rejects a GBK row deep inside a UTF-8 file and keeps the UTF-8 rows", async () => {
    // Past the 64 KiB that encoding detection looks at, as in a real concatenated export.
    const utf8Rows = Array.from({ length: 600 }, (_, i) => row({ line_id: `U${i}` }));
    const mixed = Buffer.concat([Buffer.from(`${HEADER}\n${utf8Rows.join("\n")}\n`), iconv.encode(`${row({ line_id: "G1", patient_name: "李建国" })}\n`, "gbk"), Buffer.from(`${row({ line_id: "U600" })}\n`)]);
    expect(mixed.length).toBeGreaterThan(64 * 1024);
    const result = await importText(mixed);
    expect(result.encoding).toBe("utf-8");
    expect(result.items).toHaveLength(601);
    // Every Chinese cell of the GBK row fails to decode; each is named.
    expect(new Set(result.rejections.map((r) => `${r.code}@${r.row}/${r.lineId ?? ""}`))).toEqual(new Set(["invalid_encoding@602/G1"]));
    expect(result.rejections.map((r) => r.column)).toEqual(["patient_name", "item_name", "unit", "department"]);
  });

  it("strips a UTF-8 BOM so the first column name still matches", async () => {
    const result = await importText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${HEADER}\r\n${GOOD}\r\n`)]));
    expect(result.rejections).toEqual([]);
    expect(result.items[0]?.institution).toBe("H50010600123");
  });

  it("keeps quoted newlines inside a cell and counts rows as a spreadsheet does", async () => {
    const text = `${HEADER}\n${row({ item_name: '"血液透析\n(夜间)"' })}\n${row({ line_id: "L2", item_code: "bad" })}\n`;
    const result = await importText(text);
    expect(result.items[0]?.itemName).toBe("血液透析\n(夜间)");
    expect(result.rejections).toEqual([expect.objectContaining({ code: "unknown_item_code", row: 3 })]);
  });

  it("keeps input order when quoted rows (csv-parse) and plain rows (split) alternate", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => row({ line_id: `L${i}`, item_name: i % 3 === 0 ? `"透析,第${i}次"` : "血液透析" }));
    const result = await collectBillingImport([`${HEADER}\n`, ...rows.map((r) => `${r}\n`)], OPTIONS);
    expect(result.rejections).toEqual([]);
    expect(result.items.map((i) => i.lineId)).toEqual(rows.map((_, i) => `L${i}`));
    expect(result.items[3]?.itemName).toBe("透析,第3次");
  });

  it("skips a 10 MB single line without buffering it, and lands the rows around it", async () => {
    async function* chunks(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${HEADER}\n${GOOD}\n`);
      const mega = Buffer.alloc(1024 * 1024, "x");
      for (let i = 0; i < 10; i++) yield mega;
      yield Buffer.from(`\n${row({ line_id: "L3" })}\n`);
    }
    const result = await collectBillingImport(chunks(), OPTIONS);
    expect(result.items.map((i) => i.lineId)).toEqual(["L1", "L3"]);
    expect(result.rejections).toEqual([expect.objectContaining({ code: "row_too_large", row: 3 })]);
  });

  it("reports broken quoting and a row with too many cells", async () => {
    const result = await importText(`${HEADER}\n${row({ line_id: 'L"2' })}\n${GOOD},extra,cells,here\n${row({ line_id: "L4" })}\n`);
    expect(result.items.map((i) => i.lineId)).toEqual(["L4"]);
    expect(result.rejections.map((r) => [r.code, r.row])).toEqual([["malformed_csv", 2], ["column_count", 3]]);
  });

  it("takes JSON lines and a JSON array with the same validation", async () => {
    const object = Object.fromEntries(HEADER.split(",").map((name, i) => [name, GOOD.split(",")[i] ?? ""]));
    const lines = [JSON.stringify(object), "{not json", JSON.stringify({ ...object, line_id: "L2", amount: 400, quantity: 1 }), JSON.stringify({ ...object, line_id: "L3", patient_id_number: "110105194912310012" })].join("\n");
    const result = await importText(lines);
    expect(result.items.map((i) => i.lineId)).toEqual(["L1", "L2"]);
    expect(result.rejections.map((r) => [r.code, r.row])).toEqual([["invalid_json", 2], ["invalid_id_checksum", 4]]);
    const array = await importText(JSON.stringify([object, { ...object, line_id: "L2" }, 42]));
    expect(array.items).toHaveLength(2);
    expect(array.rejections).toEqual([expect.objectContaining({ code: "invalid_json", row: 3 })]);
  });

  it("imports the same file twice to the same items", async () => {
    const text = readFileSync(GOLDEN);
    expect(await importText(text)).toEqual(await importText(text));
  });

  it("documents every rejection code in README.md", () => {
    const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
    for (const code of BILLING_REJECTION_CODES) {
      expect(readme, code).toContain(`\`${code}\``);
      expect(BILLING_REJECTION_DOCS[code].length).toBeGreaterThan(10);
    }
  });

  it("streams a generated 200k-row file with bounded memory growth", async () => {
    const probe = fileURLToPath(new URL("./test-fixtures/stream-import-probe.ts", import.meta.url));
    const { stdout } = await run(process.execPath, ["--expose-gc", "--import", "tsx", probe, "200000"]);
    const result = JSON.parse(stdout) as { items: number; rejections: number; rowsPerSecond: number; retainedMb: number; seconds: number };
    console.log(`billing import: 200000 rows in ${result.seconds.toFixed(1)} s = ${result.rowsPerSecond} rows/s, retained heap ${result.retainedMb.toFixed(1)} MB`);
    expect(result.items).toBe(200_000);
    expect(result.rejections).toBe(0);
    // The file as JS strings is ~60 MB and the items several times that: holding either fails this;
    // what may grow is the duplicate index (~90 bytes a line).
    expect(result.retainedMb).toBeLessThan(40);
  }, 180_000);
});
