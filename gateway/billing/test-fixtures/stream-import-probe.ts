import { createHash } from "node:crypto";
import { importBilling } from "../billing-import.js";

/**
 * Streams a generated N-row CSV through importBilling in its own process (run with --expose-gc, so
 * retained heap can be told from garbage) and prints one JSON line: rows, items, rejections, seconds,
 * and the heap retained after GC, sampled every 20k rows, above the baseline.
 */
const HEADER = "institution_code,settlement_id,line_id,patient_id_type,patient_id_number,patient_name,visit_type,item_code,item_name,service_start,service_end,quantity,unit,unit_price,amount,department";
const IDS = ["11010519491231002X", "110105194912310011"];
const rows = Number(process.argv[2] ?? 200_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");

async function* generated(): AsyncGenerator<Buffer> {
  yield Buffer.from(`${HEADER}\n`);
  let batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    const day = String(1 + (i % 28)).padStart(2, "0");
    batch.push(`H50010600123,S${i >> 4},L${i},01,${IDS[i % 2] ?? ""},王秀英,outpatient,311000006,血液透析,2026-11-${day} 07:30,2026-11-${day} 11:35,1,次,400.00,400.00,肾内科`);
    if (batch.length === 1000) {
      yield Buffer.from(`${batch.join("\n")}\n`);
      batch = [];
    }
  }
  if (batch.length > 0) yield Buffer.from(`${batch.join("\n")}\n`);
}

gc();
const baseline = process.memoryUsage().heapUsed;
let retainedPeak = 0;
let items = 0;
let rejections = 0;
const started = performance.now();
for await (const entry of importBilling(generated(), { pseudonymKey: createHash("sha256").update("probe").digest() })) {
  if (entry.type === "item") {
    items += 1;
    if (items % 20_000 === 0) {
      gc();
      retainedPeak = Math.max(retainedPeak, process.memoryUsage().heapUsed - baseline);
    }
  } else if (entry.type === "rejection") {
    rejections += 1;
  }
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ rows, items, rejections, seconds, rowsPerSecond: Math.round(rows / seconds), retainedMb: retainedPeak / 1048576 })}\n`);
