/**
 * The billed-items columns (../../../shared/billing-format.md): canonical English name, the Chinese
 * alias, the national medical-insurance interface names (2301 fee detail, 4101A settlement list), and
 * the longest value each may hold. Several aliases may name one column (a national export carries
 * both `hilist_code` and `medins_list_codg`); the first non-empty in the order listed wins.
 */
export const BILLING_COLUMNS = {
  institution_code: { aliases: ["定点医药机构编码", "fixmedins_code"], maxLength: 64 },
  settlement_id: { aliases: ["结算ID", "结算id", "setl_id"], maxLength: 64 },
  line_id: { aliases: ["费用明细流水号", "feedetl_sn"], maxLength: 64 },
  patient_id_type: { aliases: ["证件类型", "psn_cert_type"], maxLength: 4 },
  patient_id_number: { aliases: ["证件号码", "certno"], maxLength: 32 },
  patient_name: { aliases: ["姓名", "psn_name"], maxLength: 64 },
  insured_region: { aliases: ["参保地区划", "insu_admdvs"], maxLength: 6 },
  visit_type: { aliases: ["就诊类型"], maxLength: 16 },
  item_code: { aliases: ["医疗服务项目编码", "hilist_code", "med_list_codg", "medins_list_codg"], maxLength: 64 },
  item_name: { aliases: ["项目名称", "hilist_name", "medins_list_name"], maxLength: 200 },
  service_start: { aliases: ["服务开始时间", "fee_ocur_time"], maxLength: 40 },
  service_end: { aliases: ["服务结束时间"], maxLength: 40 },
  service_date: { aliases: ["服务日期"], maxLength: 40 },
  quantity: { aliases: ["数量", "cnt"], maxLength: 20 },
  unit: { aliases: ["计价单位", "prcunt"], maxLength: 16 },
  unit_price: { aliases: ["单价", "pric"], maxLength: 20 },
  amount: { aliases: ["金额", "det_item_fee_sumamt"], maxLength: 20 },
  department: { aliases: ["科室", "bilg_dept_codg", "bilg_dept_name"], maxLength: 64 },
  ward: { aliases: ["病区", "wardarea_name"], maxLength: 64 },
  bed: { aliases: ["床号", "bedno"], maxLength: 32 },
  admission_date: { aliases: ["入院日期", "adm_time", "begntime"], maxLength: 40 },
  discharge_date: { aliases: ["出院日期", "dscg_time", "endtime"], maxLength: 40 },
  doctor_code: { aliases: ["医保医师代码", "bilg_dr_codg"], maxLength: 32 },
  visit_id: { aliases: ["就诊ID", "mdtrt_id"], maxLength: 64 },
  actual_inpatient_days: { aliases: ["实际住院天数", "act_ipt_days"], maxLength: 6 },
  reverses_line_id: { aliases: ["原费用明细流水号", "init_feedetl_sn"], maxLength: 64 },
} as const satisfies Record<string, { aliases: readonly string[]; maxLength: number }>;

export type BillingColumn = keyof typeof BILLING_COLUMNS;
export const BILLING_COLUMN_NAMES = Object.keys(BILLING_COLUMNS) as BillingColumn[];

/** Required in every row whatever the item; the others depend on the item or are optional. */
export const ALWAYS_REQUIRED: readonly BillingColumn[] = [
  "institution_code",
  "settlement_id",
  "line_id",
  "patient_id_number",
  "patient_name",
  "visit_type",
  "item_code",
  "quantity",
  "amount",
];

const BY_NAME = new Map<string, BillingColumn>();
for (const name of BILLING_COLUMN_NAMES) {
  BY_NAME.set(name, name);
  for (const alias of BILLING_COLUMNS[name].aliases) BY_NAME.set(alias.toLowerCase(), name);
}

/** The canonical column a header cell names, or null (unknown columns are ignored, and reported). */
export function canonicalColumn(header: string): BillingColumn | null {
  return BY_NAME.get(header.normalize("NFKC").trim().toLowerCase()) ?? null;
}

/** Alias precedence within one canonical column: canonical name first, then aliases in listed order. */
export function aliasRank(header: string, column: BillingColumn): number {
  const key = header.normalize("NFKC").trim().toLowerCase();
  if (key === column) return 0;
  return 1 + BILLING_COLUMNS[column].aliases.findIndex((a) => a.toLowerCase() === key);
}
