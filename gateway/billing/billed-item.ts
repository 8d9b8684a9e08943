import type { BillingColumn } from "./billing-columns.js";
import type { ItemCategory } from "./item-catalogue.js";

/**
 * One billed line after validation. The raw ID number never gets this far: only its pseudonymous
 * reference (protocol personRef under the deployment's pseudonym key) and the masked name remain.
 */
export interface BilledItem {
  readonly institution: string;
  readonly settlementId: string;
  /** Unique per institution: the idempotency key of the line. */
  readonly lineId: string;
  /** protocol personRef of the normalised ID number. */
  readonly patientRef: string;
  readonly patientIdType: string;
  readonly patientNameMasked: string;
  readonly insuredRegion: string | null;
  readonly visitType: "outpatient" | "inpatient";
  readonly itemCode: string;
  readonly itemName: string | null;
  readonly category: ItemCategory;
  /** ms since epoch. */
  readonly serviceStart: number | null;
  readonly serviceEnd: number | null;
  /** China Standard Time calendar date the line is for (`YYYY-MM-DD`). */
  readonly serviceDate: string;
  /** Negative for a refund or correction. */
  readonly quantity: number;
  readonly unit: string | null;
  readonly unitPriceFen: number | null;
  /** Amount in fen (0.01 yuan), so sums are exact. */
  readonly amountFen: number;
  readonly department: string | null;
  readonly ward: string | null;
  readonly bed: string | null;
  readonly admissionDate: string | null;
  readonly dischargeDate: string | null;
  readonly doctorCode: string | null;
  /** National `mdtrt_id`: ties the lines of one stay or session together. */
  readonly visitId: string | null;
  readonly actualInpatientDays: number | null;
  /** National `init_feedetl_sn`: the line a refund reverses. */
  readonly reversesLineId: string | null;
  /** Text cells that looked like spreadsheet formulas and were neutralised (see README.md). */
  readonly neutralised: readonly BillingColumn[];
}

export const BILLING_REJECTION_CODES = [
  "missing_column",
  "missing_value",
  "invalid_id_checksum",
  "invalid_id_number",
  "unknown_item_code",
  "unparseable_time",
  "unparseable_date",
  "end_before_start",
  "discharge_before_admission",
  "invalid_value",
  "invalid_number",
  "amount_mismatch",
  "field_too_long",
  "row_too_large",
  "malformed_csv",
  "column_count",
  "invalid_encoding",
  "duplicate_line_conflict",
  "invalid_json",
] as const;
export type BillingRejectionCode = (typeof BILLING_REJECTION_CODES)[number];

/** What each code means; README.md lists them all (a test checks). */
export const BILLING_REJECTION_DOCS: Record<BillingRejectionCode, string> = {
  missing_column: "The header lacks a required column; no row of the file can land (row 1 is the header).",
  missing_value: "A required cell is empty (service_start for dialysis, service_date or a start for bed-days, admission_date for inpatients).",
  invalid_id_checksum: "A resident ID number (type 01) whose ISO 7064 MOD 11-2 check character is wrong.",
  invalid_id_number: "An ID number of the wrong shape, or a resident ID with an impossible birth date.",
  unknown_item_code: "An item code the deployment's item catalogue does not know.",
  unparseable_time: "A time that is not `YYYY-MM-DD HH:mm[:ss]` (CST) or ISO 8601 with offset.",
  unparseable_date: "A date that is not `YYYY-MM-DD`.",
  end_before_start: "service_end earlier than service_start.",
  discharge_before_admission: "discharge_date earlier than admission_date.",
  invalid_value: "A code outside its allowed set or shape (institution code, visit type, ID type, insured region).",
  invalid_number: "quantity, unit_price, amount or actual inpatient days that is not a number of the allowed form.",
  amount_mismatch: "amount differs from quantity × unit_price.",
  field_too_long: "A cell longer than its column allows.",
  row_too_large: "A row longer than maxRowChars; skipped up to its end without buffering it.",
  malformed_csv: "A row that breaks RFC 4180 quoting (a quote inside an unquoted cell, text after a closing quote, an unclosed quote).",
  column_count: "A row with more cells than the header.",
  invalid_encoding: "Bytes that do not decode in the file's encoding (U+FFFD in a cell), e.g. a GBK row in a UTF-8 file.",
  duplicate_line_conflict: "A line id seen before in this import for the same institution, with a different body.",
  invalid_json: "A JSON line that does not parse, or is not an object of strings and numbers.",
};

export interface BillingRejection {
  readonly code: BillingRejectionCode;
  /** CSV: the spreadsheet row (header = 1). JSON lines: the line number. Array input: index + 1. */
  readonly row: number;
  /** The canonical column, or null for a whole-row problem. */
  readonly column: BillingColumn | null;
  readonly reason: string;
  readonly lineId: string | null;
}
