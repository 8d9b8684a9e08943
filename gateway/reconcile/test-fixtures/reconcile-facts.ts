import { createHash } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { EventMessage, maskIdNumber, personRef, PROTOCOL_VERSION, type Outcome } from "../../../protocol/index.js";
import type { BilledItem } from "../../billing/billed-item.js";
import { chinaDateOf, parseBillingTime } from "../../billing/china-time.js";
import type { ItemCategory } from "../../billing/item-catalogue.js";
import { checkEventOf, type BoxStatusPoint, type CheckEvent } from "../reconcile-input.js";

/** Builders for reconciliation tests: billed items and contract-valid event messages. */
export const KEY = createHash("sha256").update("reconcile test key").digest();
export const ALICE = "11010519491231002X";
export const BOB = "110105194912310011";
export const refOf = (idNumber: string): string => personRef(idNumber, KEY);

const CODES: Record<ItemCategory, string> = {
  haemodialysis: "311000006",
  haemofiltration: "311000007",
  haemodiafiltration: "311000008",
  bed_day: "110900001",
  other: "999",
};

export interface ItemSpec {
  readonly line: string;
  readonly institution?: string;
  readonly patient?: string;
  readonly category?: ItemCategory;
  /** `YYYY-MM-DD HH:mm` CST, or with an offset. */
  readonly start?: string | null;
  readonly end?: string | null;
  readonly date?: string;
  readonly quantity?: number;
  readonly visitType?: "outpatient" | "inpatient";
  readonly admission?: string | null;
  readonly discharge?: string | null;
  readonly ward?: string | null;
  readonly bed?: string | null;
  readonly reverses?: string | null;
}

function at(text: string): number {
  const parsed = parseBillingTime(text);
  if (parsed === null) throw new Error(`bad time ${text}`);
  return parsed;
}

export function item(spec: ItemSpec): BilledItem {
  const category = spec.category ?? "haemodialysis";
  const start = spec.start === undefined ? (category === "bed_day" ? null : "2026-11-24 07:30") : spec.start;
  const serviceStart = start === null ? null : at(start);
  const quantity = spec.quantity ?? 1;
  return {
    institution: spec.institution ?? "H50010600123",
    settlementId: "S1",
    lineId: spec.line,
    patientRef: refOf(spec.patient ?? ALICE),
    patientIdType: "01",
    patientNameMasked: "王*英",
    insuredRegion: null,
    visitType: spec.visitType ?? (category === "bed_day" ? "inpatient" : "outpatient"),
    itemCode: CODES[category],
    itemName: null,
    category,
    serviceStart,
    serviceEnd: spec.end === undefined || spec.end === null ? (spec.end === null || serviceStart === null ? null : serviceStart + 4 * 3_600_000) : at(spec.end),
    serviceDate: spec.date ?? (serviceStart === null ? "2026-11-24" : chinaDateOf(serviceStart)),
    quantity,
    unit: null,
    unitPriceFen: null,
    amountFen: quantity * 40000,
    department: null,
    ward: spec.ward ?? (category === "bed_day" ? "W3" : null),
    bed: spec.bed ?? (category === "bed_day" ? "12" : null),
    admissionDate: spec.admission ?? (category === "bed_day" ? "2026-11-20" : null),
    dischargeDate: spec.discharge ?? null,
    doctorCode: null,
    visitId: null,
    actualInpatientDays: null,
    reversesLineId: spec.reverses ?? null,
    neutralised: [],
  };
}

let counter = 0;

export interface EventSpec {
  readonly kind?: "dialysis.check_in" | "dialysis.check_out" | "ward.bedside_check";
  /** ISO 8601 with offset, as the box's clock reads. */
  readonly at: string;
  readonly outcome?: Outcome;
  readonly patient?: string | null;
  readonly site?: string;
  readonly box?: string;
  readonly driftMs?: number | null;
  readonly shift?: "day" | "night";
  readonly ward?: string;
  readonly bed?: string;
  readonly checkInId?: string | null;
  readonly id?: string;
}

/** A contract-valid event message (signature bytes are placeholders: reconciliation reads verified events). */
export function eventMessage(spec: EventSpec): EventMessage {
  counter += 1;
  const outcome = spec.outcome ?? "verified";
  const patient = spec.patient === undefined ? ALICE : spec.patient;
  const withFace = outcome === "verified" || outcome === "face_mismatch" || outcome === "suspected_spoof";
  const random = createHash("sha256").update(`event ${counter} ${spec.at}`).digest().subarray(0, 16);
  const common = {
    v: PROTOCOL_VERSION,
    id: spec.id ?? uuidv7({ msecs: Date.parse(spec.at), random }),
    site: spec.site ?? "H50010600123",
    box: spec.box ?? (spec.kind === "ward.bedside_check" ? "ward-box-1" : "chair-box-1"),
    seq: counter,
    clock: { at: spec.at, sync: "ntp" as const, driftMs: spec.driftMs === undefined ? 0 : spec.driftMs },
    subject: {
      cardType: patient === null ? ("none" as const) : ("resident_id" as const),
      ref: patient === null ? null : refOf(patient),
      refKey: "pk-test",
      masked: patient === null ? null : maskIdNumber(patient),
    },
    verification: {
      outcome,
      face: withFace ? { metric: "cosine_similarity" as const, score: outcome === "face_mismatch" ? 0.2 : 0.8, threshold: 0.5, model: "m1", template: "t1" } : null,
      liveness: outcome === "verified" ? { method: "passive" as const, score: 0.9, threshold: 0.5, model: "l1" } : null,
      attestation: outcome === "attested" ? { staffRef: refOf(BOB), staffRole: "nurse" as const, reason: "bandage" as const } : null,
    },
    evidence: [],
    sig: { alg: "Ed25519" as const, keyId: "0123456789abcdef", value: "A".repeat(86) },
  };
  const kind = spec.kind ?? "dialysis.check_in";
  const message =
    kind === "ward.bedside_check"
      ? {
          ...common,
          kind,
          bed: { ward: spec.ward ?? "W3", bed: spec.bed ?? "12" },
          round: { id: "0196b5a2-6c1e-7000-8000-000000000001", shift: spec.shift ?? "day", operatorRef: refOf(BOB), operatorRole: "nurse" as const },
        }
      : kind === "dialysis.check_out"
        ? { ...common, kind, station: { id: "chair-1", room: null }, checkInId: spec.checkInId ?? null }
        : { ...common, kind, station: { id: "chair-1", room: null } };
  return EventMessage.parse(message);
}

export function event(spec: EventSpec): CheckEvent {
  return checkEventOf(eventMessage(spec));
}

export function status(box: string, state: "online" | "offline", atText: string, role: BoxStatusPoint["role"] = "dialysis_station", site = "H50010600123"): BoxStatusPoint {
  return { site, box, role, state, at: Date.parse(atText) };
}
