import { createHash } from "node:crypto";
import iconv from "iconv-lite";
import { importBilling } from "../billing-import.js";

/**
 * Streams a file with one 10 MB line between two good rows through importBilling, in its own process
 * (run with --expose-gc) and prints one JSON line: items, rejections, and the heap retained while the
 * long line streams past (JS heap plus Buffer memory), sampled after GC between chunks, when the
 * importer holds only its own state.
 * Argument: the file's encoding, utf-8 or gb18030.
 */
const encoding = process.argv[2] === "gb18030" ? "gb18030" : "utf-8";
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");
const HEADER = "institution_code,settlement_id,line_id,patient_id_number,patient_name,visit_type,item_code,service_start,quantity,amount";
const row = (line: string): string => `H50010600123,S1,${line},11010519491231002X,王秀英,outpatient,311000006,2026-11-24 07:30,1,400.00`;
const encode = (text: string): Buffer => (encoding === "gb18030" ? iconv.encode(text, "gb18030") : Buffer.from(text, "utf8"));

let retainedPeak = 0;
let baseline = 0;
const used = (): number => {
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
};
async function* file(): AsyncGenerator<Buffer> {
  yield encode(`${HEADER}\n${row("L1")}\n`);
  const chunk = encode("透".repeat(32 * 1024)); // 64 KiB in GB18030, 96 KiB in UTF-8
  gc?.();
  baseline = used();
  for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.byteLength) {
    yield chunk;
    gc?.();
    retainedPeak = Math.max(retainedPeak, used() - baseline);
  }
  yield encode(`\n${row("L3")}\n`);
}

let items = 0;
const rejections: { code: string; row: number; reason: string }[] = [];
for await (const entry of importBilling(file(), { pseudonymKey: createHash("sha256").update("probe").digest() })) {
  if (entry.type === "item") items += 1;
  else if (entry.type === "rejection") rejections.push({ code: entry.rejection.code, row: entry.rejection.row, reason: entry.rejection.reason });
}
process.stdout.write(`${JSON.stringify({ encoding, items, rejections, retainedMb: retainedPeak / 1048576 })}\n`);
