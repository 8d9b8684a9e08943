import { normaliseIdNumber, personRef, SiteId } from "../../protocol/index.js";
import { ALWAYS_REQUIRED, BILLING_COLUMNS, type BillingColumn } from "./billing-columns.js";
import type { BilledItem, BillingRejection, BillingRejectionCode } from "./billed-item.js";
import { chinaDateOf, parseBillingDate, parseBillingTime } from "./china-time.js";
import { isDialysis, type ItemCatalogue } from "./item-catalogue.js";
import { maskName } from "./name-mask.js";
import { residentIdProblem } from "./resident-id.js";

/** One row's cells by canonical column; absent and empty cells are the same thing. */
export type BillingCells = ReadonlyMap<BillingColumn, string>;

export interface RowParseContext {
  readonly row: number;
  readonly pseudonymKey: Uint8Array;
  readonly catalogue: ItemCatalogue;
}

export type RowParseResult =
  | { readonly ok: true; readonly item: BilledItem }
  | { readonly ok: false; readonly rejections: readonly BillingRejection[] };

/**
 * Cells a spreadsheet would evaluate when they start with = + - @ (or tab / CR), per OWASP's
 * CSV-injection guidance. Display-text cells that do are kept with a leading `'` rather than
 * rejected: a rejected line would drop out of reconciliation, so a hostile export could hide a billed
 * session just by starting its department with `=`. Identifier cells may not start so at all.
 */
const FORMULA_LEAD = /^[=+\-@\t\r]/;
const DISPLAY_TEXT: readonly BillingColumn[] = ["patient_name", "item_name", "unit", "department", "ward", "bed", "doctor_code"];
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const MONEY = /^-?\d{1,12}(?:\.\d{1,2})?$/;
const QUANTITY = /^-?\d{1,9}(?:\.\d{1,4})?$/;

const ID_TYPES_WITH_CHECKSUM = new Set(["01"]);

/** Exact for MONEY-shaped text: at most 12 + 2 digits, well inside a double's 53 bits. */
function yuanToFen(text: string): number {
  return Math.round(Number(text) * 100);
}

/** Reads typed cells of one row and collects every problem found as a rejection of its own. */
class RowReader {
  readonly rejections: BillingRejection[] = [];
  readonly neutralised: BillingColumn[] = [];

  constructor(
    private readonly cells: BillingCells,
    private readonly row: number,
    readonly lineId: string | null,
  ) {}

  reject(code: BillingRejectionCode, column: BillingColumn | null, reason: string): null {
    this.rejections.push({ code, row: this.row, column, reason, lineId: this.lineId });
    return null;
  }

  rejected(column: BillingColumn): boolean {
    return this.rejections.some((r) => r.column === column);
  }

  text(column: BillingColumn): string | null {
    const value = this.cells.get(column)?.trim() ?? "";
    if (value === "") return null;
    if (value.includes("\uFFFD")) return this.reject("invalid_encoding", column, "undecodable bytes in the cell");
    const max = BILLING_COLUMNS[column].maxLength;
    // Code points, not UTF-16 units; only counted when the units could exceed the limit.
    if (value.length > max && Array.from(value).length > max) return this.reject("field_too_long", column, `longer than ${max} characters`);
    if (CONTROL.test(value)) return this.reject("invalid_value", column, "control character in the cell");
    return value;
  }

  identifier(column: BillingColumn): string | null {
    const value = this.text(column);
    if (value !== null && !IDENTIFIER.test(value)) {
      return this.reject("invalid_value", column, "identifier must be letters, digits and _ . : / -, starting with a letter or digit");
    }
    return value;
  }

  display(column: BillingColumn): string | null {
    const value = this.text(column);
    if (value === null || !DISPLAY_TEXT.includes(column) || !FORMULA_LEAD.test(value)) return value;
    this.neutralised.push(column);
    return `'${value}`;
  }

  time(column: BillingColumn): number | null {
    const value = this.text(column);
    if (value === null) return null;
    return parseBillingTime(value) ?? this.reject("unparseable_time", column, `"${value.slice(0, 40)}" is not YYYY-MM-DD HH:mm[:ss] or ISO 8601 with offset`);
  }

  date(column: BillingColumn): string | null {
    const value = this.text(column);
    if (value === null) return null;
    return parseBillingDate(value) ?? this.reject("unparseable_date", column, `"${value.slice(0, 40)}" is not YYYY-MM-DD`);
  }

  number(column: BillingColumn, shape: RegExp): string | null {
    const value = this.text(column);
    if (value === null) return null;
    return shape.test(value) ? value : this.reject("invalid_number", column, `"${value.slice(0, 20)}" is not a number of the allowed form`);
  }

  missing(column: BillingColumn, reason: string): void {
    if (!this.rejected(column)) this.reject("missing_value", column, reason);
  }
}

function patientRefOf(r: RowReader, idType: string, pseudonymKey: Uint8Array): string | null {
  const raw = r.text("patient_id_number");
  if (raw === null) return null;
  const normalised = normaliseIdNumber(raw);
  if (ID_TYPES_WITH_CHECKSUM.has(idType)) {
    const problem = residentIdProblem(normalised);
    if (problem === "checksum") return r.reject("invalid_id_checksum", "patient_id_number", "ISO 7064 MOD 11-2 check character does not match");
    if (problem !== null) {
      return r.reject("invalid_id_number", "patient_id_number", problem === "format" ? "a resident ID is 17 digits and a digit or X" : "impossible birth date in the resident ID");
    }
  } else if (!/^[0-9A-Z]{5,32}$/.test(normalised)) {
    return r.reject("invalid_id_number", "patient_id_number", "ID number must be 5-32 letters and digits");
  }
  return personRef(normalised, pseudonymKey);
}

/** Validates one row into a BilledItem; every problem found becomes a rejection of its own. */
export function parseBilledRow(cells: BillingCells, ctx: RowParseContext): RowParseResult {
  const lineIdRaw = cells.get("line_id")?.trim() ?? "";
  // The line id is echoed in rejections (JSON answers, CLI output): a formula-looking one is
  // neutralised there as display text is, so a rejection list opened in a spreadsheet runs nothing.
  const lineIdShown = lineIdRaw === "" ? null : lineIdRaw.slice(0, 64);
  const r = new RowReader(cells, ctx.row, lineIdShown !== null && FORMULA_LEAD.test(lineIdShown) ? `'${lineIdShown}` : lineIdShown);
  for (const column of ALWAYS_REQUIRED) {
    if ((cells.get(column)?.trim() ?? "") === "") r.reject("missing_value", column, "required cell is empty");
  }

  const institution = r.text("institution_code");
  if (institution !== null && !SiteId.safeParse(institution).success) {
    r.reject("invalid_value", "institution_code", "institution code must be a site id (letters, digits, _ . -), as boxes report it");
  }
  const settlementId = r.identifier("settlement_id");
  const lineId = r.identifier("line_id");
  const idType = r.text("patient_id_type") ?? "01";
  if (!/^[0-9A-Za-z]{1,4}$/.test(idType)) r.reject("invalid_value", "patient_id_type", "ID type must be a code like 01");
  const patientRef = patientRefOf(r, idType, ctx.pseudonymKey);
  const name = r.display("patient_name");
  const visitTypeText = r.text("visit_type");
  const visitType = visitTypeText === null ? null : (VISIT_TYPES[visitTypeText.toLowerCase()] ?? r.reject("invalid_value", "visit_type", "visit type must be outpatient/门诊 or inpatient/住院"));

  const itemCode = r.text("item_code");
  const entry = itemCode === null ? null : ctx.catalogue.lookup(itemCode);
  if (itemCode !== null && entry === null) r.reject("unknown_item_code", "item_code", `item code ${itemCode.slice(0, 40)} is not in the item catalogue`);

  const serviceStart = r.time("service_start");
  const serviceEnd = r.time("service_end");
  const serviceDateCell = r.date("service_date");
  if (serviceStart !== null && serviceEnd !== null && serviceEnd < serviceStart) {
    r.reject("end_before_start", "service_end", "service_end is earlier than service_start");
  }
  if (entry !== null && isDialysis(entry.category) && serviceStart === null) r.missing("service_start", "a dialysis session needs its start time");
  const serviceDate = serviceDateCell ?? (serviceStart === null ? null : chinaDateOf(serviceStart));
  if (serviceDate === null && !r.rejected("service_start")) r.missing("service_date", "a line needs service_date or service_start");

  const quantityText = r.number("quantity", QUANTITY);
  const unitPriceText = r.number("unit_price", MONEY);
  const amountText = r.number("amount", MONEY);
  const quantity = quantityText === null ? null : Number(quantityText);
  const unitPriceFen = unitPriceText === null ? null : yuanToFen(unitPriceText);
  const amountFen = amountText === null ? null : yuanToFen(amountText);
  if (quantity !== null && unitPriceFen !== null && amountFen !== null && Math.round(quantity * unitPriceFen) !== amountFen) {
    r.reject("amount_mismatch", "amount", `amount ${amountText ?? ""} differs from quantity ${quantityText ?? ""} × unit_price ${unitPriceText ?? ""}`);
  }

  const admissionDate = r.date("admission_date");
  const dischargeDate = r.date("discharge_date");
  if (visitType === "inpatient" && admissionDate === null) r.missing("admission_date", "an inpatient line needs its admission date");
  if (admissionDate !== null && dischargeDate !== null && dischargeDate < admissionDate) {
    r.reject("discharge_before_admission", "discharge_date", "discharge_date is earlier than admission_date");
  }
  const daysText = r.number("actual_inpatient_days", /^\d{1,5}$/);
  const insuredRegion = r.text("insured_region");
  if (insuredRegion !== null && !/^\d{6}$/.test(insuredRegion)) r.reject("invalid_value", "insured_region", "insured region is a 6-digit division code");

  const fields = {
    itemName: r.display("item_name"),
    unit: r.display("unit"),
    department: r.display("department"),
    ward: r.display("ward"),
    bed: r.display("bed"),
    doctorCode: r.display("doctor_code"),
    visitId: r.identifier("visit_id"),
    reversesLineId: r.identifier("reverses_line_id"),
  };

  if (
    r.rejections.length > 0 ||
    institution === null || settlementId === null || lineId === null || patientRef === null || name === null ||
    visitType === null || itemCode === null || entry === null || serviceDate === null || quantity === null || amountFen === null
  ) {
    if (r.rejections.length === 0) r.reject("invalid_value", null, "row incomplete");
    return { ok: false, rejections: r.rejections };
  }
  return {
    ok: true,
    item: {
      institution,
      settlementId,
      lineId,
      patientRef,
      patientIdType: idType,
      patientNameMasked: name.startsWith("'") ? `'${maskName(name.slice(1))}` : maskName(name),
      insuredRegion,
      visitType,
      itemCode,
      category: entry.category,
      serviceStart,
      serviceEnd,
      serviceDate,
      quantity,
      unitPriceFen,
      amountFen,
      admissionDate,
      dischargeDate,
      actualInpatientDays: daysText === null ? null : Number(daysText),
      neutralised: r.neutralised,
      ...fields,
    },
  };
}

const VISIT_TYPES: Partial<Record<string, "outpatient" | "inpatient">> = {
  outpatient: "outpatient",
  门诊: "outpatient",
  inpatient: "inpatient",
  住院: "inpatient",
};
