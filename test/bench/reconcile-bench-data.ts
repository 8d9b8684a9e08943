import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { personRef } from "../../protocol/index.js";
import type { BilledItem } from "../../gateway/billing/billed-item.js";
import type { CheckEvent } from "../../gateway/reconcile/reconcile-input.js";
import { mod11_2CheckCharacter } from "../../simulator/fleet/index.js";

/**
 * Synthetic data for bench:reconcile, generated arithmetically (no randomness needed: the shape, not
 * the values, sets the cost): patients on a Mon/Wed/Fri-like rhythm at 50 institutions, each billed
 * session with a verified check-in 10 minutes before and a check-out 4 hours later; every 100th
 * session has no check-in (D1), every 500th a face mismatch (D2).
 */
export const BENCH_HEADER = "institution_code,settlement_id,line_id,patient_id_type,patient_id_number,patient_name,visit_type,item_code,item_name,service_start,service_end,quantity,unit,unit_price,amount,department";
const INSTITUTIONS = 50;
const SESSIONS_PER_PATIENT = 78; // 26 weeks, three a week
const EPOCH = Date.parse("2026-05-04T07:30:00+08:00"); // a Monday, 07:30 CST
const DAY_MS = 86_400_000;
const OFFSETS = [0, 2, 4]; // Mon, Wed, Fri

/** A valid resident ID number for patient i (region 110105, birth 1950-01-01 + i days mod 20 000). */
export function benchIdNumber(i: number): string {
  const birth = new Date(Date.UTC(1950, 0, 1) + (i % 20_000) * DAY_MS).toISOString().slice(0, 10).replace(/-/g, "");
  const body = `110105${birth}${String(i % 1000).padStart(3, "0")}`;
  return body + mod11_2CheckCharacter(body);
}

export interface BenchSession {
  readonly patient: number;
  readonly institution: string;
  readonly start: number;
}

export function benchSession(index: number): BenchSession {
  const patient = Math.floor(index / SESSIONS_PER_PATIENT);
  const n = index % SESSIONS_PER_PATIENT;
  const start = EPOCH + (Math.floor(n / 3) * 7 + (OFFSETS[n % 3] ?? 0)) * DAY_MS + (patient % 3) * 5 * 3_600_000;
  return { patient, institution: `H-BENCH-${String(patient % INSTITUTIONS).padStart(2, "0")}`, start };
}

const cst = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");

/** Writes an N-row billed-items CSV, streamed with back-pressure (never held whole). */
export async function writeBenchCsv(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  out.write(`${BENCH_HEADER}\n`);
  const ids = new Map<number, string>();
  let batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    const s = benchSession(i);
    let id = ids.get(s.patient);
    if (id === undefined) {
      ids.clear();
      id = benchIdNumber(s.patient);
      ids.set(s.patient, id);
    }
    batch.push(`${s.institution},S${i >> 3},L${i},01,${id},王秀英,outpatient,311000006,血液透析,${cst(s.start)},${cst(s.start + 4 * 3_600_000)},1,次,400.00,400.00,肾内科`);
    if (batch.length === 2000) {
      if (!out.write(`${batch.join("\n")}\n`)) await once(out, "drain");
      batch = [];
    }
  }
  if (batch.length > 0) out.write(`${batch.join("\n")}\n`);
  out.end();
  await once(out, "finish");
  return rows;
}

/** N billed sessions and their events (a check-in and a check-out each, but every 100th without), in memory. */
export function benchFacts(sessions: number, key: Uint8Array): { items: BilledItem[]; events: CheckEvent[] } {
  const items: BilledItem[] = [];
  const events: CheckEvent[] = [];
  let refPatient = -1;
  let ref = "";
  for (let i = 0; i < sessions; i++) {
    const s = benchSession(i);
    if (s.patient !== refPatient) {
      refPatient = s.patient;
      ref = personRef(benchIdNumber(s.patient), key);
    }
    const end = s.start + 4 * 3_600_000;
    items.push({
      institution: s.institution,
      settlementId: `S${i >> 3}`,
      lineId: `L${i}`,
      patientRef: ref,
      patientIdType: "01",
      patientNameMasked: "王*英",
      insuredRegion: null,
      visitType: "outpatient",
      itemCode: "311000006",
      itemName: "血液透析",
      category: "haemodialysis",
      serviceStart: s.start,
      serviceEnd: end,
      serviceDate: cst(s.start).slice(0, 10),
      quantity: 1,
      unit: "次",
      unitPriceFen: 40000,
      amountFen: 40000,
      department: "肾内科",
      ward: null,
      bed: null,
      admissionDate: null,
      dischargeDate: null,
      doctorCode: null,
      visitId: null,
      actualInpatientDays: null,
      reversesLineId: null,
      neutralised: [],
    });
    if (i % 100 === 99) continue;
    const box = `${s.institution}-chair-${s.patient % 8}`;
    const checkInId = `ci-${i}`;
    const base = { site: s.institution, box, ref, shift: null, ward: null, bed: null } as const;
    events.push({ ...base, id: checkInId, kind: "dialysis.check_in", outcome: i % 500 === 0 ? "face_mismatch" : "verified", at: s.start - 10 * 60_000, checkInId: null });
    events.push({ ...base, id: `co-${i}`, kind: "dialysis.check_out", outcome: "verified", at: end + 5 * 60_000, checkInId });
  }
  return { items, events };
}
