import { writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { SiteId } from "../../protocol/index.js";
import { confirmedCasesCsv, confirmedRecord, type ConfirmedRecordView } from "../../gateway/alerts/confirmed-record.js";
import { RangeQuery } from "../../gateway/http/api-schemas.js";
import { openGatewayStore } from "../../gateway/open-store.js";
import { cst } from "../../gateway/reconcile/rule-context.js";
import { addStoreOptions, storeConfigFrom } from "../store-options.js";

/**
 * `carewitness cases record --site S`: an institution's record of confirmed cases (issue 7 §5,
 * gateway/alerts/confirmed-record.ts) read straight from the gateway's store, as the API's
 * GET /institutions/{site}/confirmed-cases gives it: a summary for a person, JSON, or the case rows
 * as a CSV for Excel.
 */
const FORMATS = ["text", "json", "csv"] as const;
type Format = (typeof FORMATS)[number];

interface RecordFlags {
  site: string;
  from?: string;
  to?: string;
  format: Format;
  out?: string;
  sqlite: string;
  pg?: string;
  pgSchema?: string;
}

/** The API's time syntax (RFC 3339 with an offset, or ms since the epoch), so a URL and a command line agree. */
function timeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = RangeQuery.from.safeParse(value);
  if (!parsed.success) throw new Error(`${name}: an RFC 3339 time with an offset (2026-04-01T00:00:00+08:00) or milliseconds since the epoch, got ${JSON.stringify(value)}`);
  return parsed.data;
}

const at = (isoTime: string): string => cst(Date.parse(isoTime));
const count = (n: number, noun: string): string => `${String(n)} ${noun}${n === 1 ? "" : "s"}`;

/** What a person reads: the totals, the counts, the patients (repeat offenders first), one line per case. */
export function recordText(record: ConfirmedRecordView): string {
  const period = record.from === null && record.to === null ? "all time" : `${record.from === null ? "the start" : at(record.from)} to ${record.to === null ? "now" : at(record.to)} CST`;
  const { totals } = record;
  const lines = [
    `Confirmed cases at ${record.site} (${period}): ${count(totals.cases, "case")} of ${count(totals.patients, "patient")} (${String(totals.repeatPatients)} with more than one), ${String(totals.onWatchList)} with the card on the watch list`,
  ];
  if (totals.cases === 0) return `${lines.join("\n")}\n`;
  lines.push(
    `By rule: ${record.byRule.map((r) => `${r.rule} ${String(r.cases)}`).join(", ")}`,
    `By kind: ${record.byKind.map((k) => `${k.kind} ${String(k.cases)}`).join(", ")}`,
    `By month (CST, when it occurred): ${record.byMonth.map((m) => `${m.month} ${String(m.cases)}`).join(", ")}`,
    "Patients (pseudonymous ref), repeat offenders first:",
    ...record.patients.map((p) => `  ${p.patientRef.slice(0, 12)}… ${[p.patientNameMasked, p.patientMasked].filter((v) => v !== null).join(" ") || "—"}: ${String(p.cases)} (${p.rules.join(", ")})`),
    "Cases:",
    ...record.cases.map(
      (c) =>
        `  ${[at(c.occurredAt), c.rule, c.alertId, c.patientNameMasked, c.patientMasked].filter((v) => v !== null).join(" ")}` +
        ` — confirmed ${at(c.confirmedAt)} by ${c.confirmedBy}${c.confirmationNote === null ? "" : `: ${JSON.stringify(c.confirmationNote)}`} [${c.state}${c.onWatchList ? ", card watched" : ""}] ${c.evidencePath}`,
    ),
  );
  return `${lines.join("\n")}\n`;
}

function render(record: ConfirmedRecordView, format: Format): string {
  if (format === "json") return `${JSON.stringify(record, null, 2)}\n`;
  if (format === "csv") return confirmedCasesCsv(record);
  return recordText(record);
}

export function caseCommands(): Command {
  const cases = new Command("cases").description("Alert cases supervisors reviewed.");
  const record = new Command("record")
    .description("An institution's record of confirmed cases (closed after confirming counts, dismissed never): counts by rule, kind, CST month and patient, one row per case with who confirmed it and its evidence.")
    .requiredOption("--site <site>", "the institution")
    .option("--from <time>", "cases whose fact occurred at or after this (RFC 3339 with offset, or ms)")
    .option("--to <time>", "... and before this")
    .addOption(new Option("--format <format>", "text for a person, json, or csv (the case rows; UTF-8 with BOM for Excel)").choices(FORMATS).default("text"))
    .option("--out <file>", "write to this file instead of standard output");
  addStoreOptions(record);
  record.action(async (flags: RecordFlags) => {
    const parsedSite = SiteId.safeParse(flags.site);
    if (!parsedSite.success) throw new Error(`--site: ${parsedSite.error.issues[0]?.message ?? "not a site id"}`);
    const site = parsedSite.data;
    const range = { from: timeOption("--from", flags.from), to: timeOption("--to", flags.to) };
    const store = await openGatewayStore(storeConfigFrom(flags));
    try {
      const cases = store.alertCases();
      const view = confirmedRecord({ site, histories: await cases.confirmedCases(site, range), watchList: await cases.watchList(site), range });
      const output = render(view, flags.format);
      if (flags.out === undefined) {
        process.stdout.write(output);
        return;
      }
      writeFileSync(flags.out, output);
      process.stdout.write(`${flags.out}: ${String(view.totals.cases)} confirmed cases of ${site} (${flags.format})\n`);
    } finally {
      await store.close();
    }
  });
  return cases.addCommand(record);
}
