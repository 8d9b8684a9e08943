import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { Command, Option } from "commander";
import { EventMessage, StatusMessage } from "../../protocol/index.js";
import type { BilledItem, BillingRejection } from "../../gateway/billing/billed-item.js";
import { importBilling } from "../../gateway/billing/billing-import.js";
import { BILLING_ENCODINGS, type BillingEncoding } from "../../gateway/billing/text-decoding.js";
import type { Finding } from "../../gateway/reconcile/finding.js";
import { reconcile } from "../../gateway/reconcile/reconcile.js";
import { checkEventOf, statusPointOf, type BoxStatusPoint, type CheckEvent } from "../../gateway/reconcile/reconcile-input.js";
import { ReconcileParams } from "../../gateway/reconcile/reconcile-params.js";
import { stderrLog } from "../cli-log.js";
import { pseudonymKeyOf } from "../pseudonym-key-option.js";

interface ReconcileFlags {
  billing: string;
  events: string;
  status?: string;
  out: string;
  pseudonymKey?: string;
  encoding: BillingEncoding;
  asOf?: string;
  json?: boolean;
  quiet?: boolean;
}

/** A bad line of a JSONL input: reported with its number, not fatal. */
interface BadLine {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

const MAX_LINE_CHARS = 256 * 1024;
const SHOWN_PROBLEMS = 20;


interface MessageSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: PropertyKey[]; message: string }[] } };
}

/** Reads a JSONL file of contract messages line by line; bad lines are collected, not fatal. */
async function readMessages<T>(file: string, schema: MessageSchema<T>, bad: BadLine[]): Promise<T[]> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  const messages: T[] = [];
  let number = 0;
  for await (const text of lines) {
    number += 1;
    if (text.trim() === "") continue;
    if (text.length > MAX_LINE_CHARS) {
      bad.push({ file, line: number, reason: `line longer than ${MAX_LINE_CHARS} characters` });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      bad.push({ file, line: number, reason: "not JSON" });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) messages.push(parsed.data);
    else bad.push({ file, line: number, reason: zodProblem(parsed.error.issues) });
  }
  return messages;
}

function zodProblem(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  const first = issues[0];
  return first === undefined ? "invalid" : `${first.path.map(String).join(".") || "(message)"}: ${first.message}`;
}

export function reconcileCommand(): Command {
  return new Command("reconcile")
    .description("Offline audit: reconcile a billed-items export against event messages (JSONL) with no server; one finding per line.")
    .requiredOption("--billing <file>", "billed items, CSV (UTF-8 or GB18030) or JSON lines")
    .requiredOption("--events <file>", "event messages as the contract defines them, one JSON object per line")
    .option("--status <file>", "box status messages (JSONL), for the online/offline timelines")
    .requiredOption("--out <file>", "where to write the findings, one JSON object per line")
    .addOption(new Option("--pseudonym-key <hex>", "the deployment's pseudonym key (>= 32 bytes, hex)").env("CAREWITNESS_PSEUDONYM_KEY"))
    .addOption(new Option("--encoding <encoding>", "billing file encoding").choices(BILLING_ENCODINGS as unknown as string[]).default("auto"))
    .option("--as-of <time>", "evaluation time, ISO 8601 (default: the latest instant in the data)")
    .option("--json", "print the summary as one JSON object on stdout")
    .option("--quiet", "no progress lines")
    .action(async (flags: ReconcileFlags) => {
      const log = stderrLog(flags.quiet === true);
      const pseudonymKey = pseudonymKeyOf(flags.pseudonymKey);
      const asOf = flags.asOf === undefined ? null : Date.parse(flags.asOf);
      if (asOf !== null && Number.isNaN(asOf)) throw new Error("--as-of must be an ISO 8601 time");
      const params = ReconcileParams.parse({ asOf });

      const items: BilledItem[] = [];
      const rejections: BillingRejection[] = [];
      let duplicates = 0;
      let encoding = "";
      for await (const entry of importBilling(createReadStream(flags.billing), { pseudonymKey, encoding: flags.encoding })) {
        if (entry.type === "item") {
          items.push(entry.item);
          if (items.length % 100_000 === 0) log("info", `billing: ${items.length} rows read`);
        } else if (entry.type === "rejection") rejections.push(entry.rejection);
        else if (entry.type === "duplicate") duplicates += 1;
        else encoding = entry.encoding;
      }

      const badLines: BadLine[] = [];
      const events: CheckEvent[] = (await readMessages(flags.events, EventMessage, badLines)).map((e) => checkEventOf(e));
      const statuses: BoxStatusPoint[] = flags.status === undefined ? [] : (await readMessages(flags.status, StatusMessage, badLines)).map((s) => statusPointOf(s));

      const findings: Finding[] = reconcile({ items, events, statuses }, params);
      const out = createWriteStream(flags.out);
      for (const finding of findings) {
        if (!out.write(`${JSON.stringify(finding)}\n`)) await once(out, "drain");
      }
      out.end();
      await once(out, "finish");

      const byRule: Record<string, number> = {};
      for (const finding of findings) byRule[finding.rule] = (byRule[finding.rule] ?? 0) + 1;
      const summary = {
        billing: { file: flags.billing, encoding, items: items.length, duplicates, rejected: rejections.length, rejections },
        events: { file: flags.events, used: events.length, statuses: statuses.length, badLines },
        findings: { file: flags.out, total: findings.length, byRule },
      };
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(summary)}\n`);
        return;
      }
      const lines = [
        `billing  ${items.length} lines (${encoding}), ${duplicates} duplicates, ${rejections.length} rejected`,
        ...rejections.slice(0, SHOWN_PROBLEMS).map((r) => `  row ${r.row}${r.column === null ? "" : ` ${r.column}`}: ${r.code} — ${r.reason}`),
        ...(rejections.length > SHOWN_PROBLEMS ? [`  … and ${rejections.length - SHOWN_PROBLEMS} more (--json lists them all)`] : []),
        `events   ${events.length} used, ${badLines.length} bad lines${statuses.length > 0 ? `, ${statuses.length} status points` : ""}`,
        ...badLines.slice(0, SHOWN_PROBLEMS).map((b) => `  ${b.file}:${b.line}: ${b.reason}`),
        ...(badLines.length > SHOWN_PROBLEMS ? [`  … and ${badLines.length - SHOWN_PROBLEMS} more (--json lists them all)`] : []),
        `findings ${findings.length} → ${flags.out}${findings.length === 0 ? "" : `  (${Object.entries(byRule).map(([rule, n]) => `${rule} ${n}`).join(", ")})`}`,
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
