import { basename } from "node:path";
import { createReadStream } from "node:fs";
import { Command, Option } from "commander";
import { SiteId } from "../../protocol/index.js";
import { importBillingIntoStore } from "../../gateway/billing/billing-store-import.js";
import { BILLING_ENCODINGS, type BillingEncoding } from "../../gateway/billing/text-decoding.js";
import { openGatewayStore } from "../../gateway/open-store.js";
import { stderrLog } from "../cli-log.js";
import { pseudonymKeyOf } from "../pseudonym-key-option.js";
import { addStoreOptions, storeConfigFrom } from "../store-options.js";
import { auditCliChange } from "../cli-audit.js";

interface ImportFlags {
  sqlite: string;
  pg?: string;
  pgSchema?: string;
  pseudonymKey?: string;
  encoding: BillingEncoding;
  institution?: string;
  json?: boolean;
  quiet?: boolean;
}

const SHOWN_REJECTIONS = 20;

/** `carewitness billing import FILE`: billed items into the gateway's store. */
export function billingCommands(): Command {
  const billing = new Command("billing").description("Billed items (dialysis sessions, bed-days) from hospital or insurer exports.");
  const importCommand = new Command("import")
    .description("Import a billed-items export (CSV in UTF-8 or GB18030, or JSON lines); bad rows are reported, good ones land; importing twice changes nothing.")
    .argument("<file>", "the export")
    .addOption(new Option("--pseudonym-key <hex>", "the deployment's pseudonym key (>= 32 bytes, hex)").env("CAREWITNESS_PSEUDONYM_KEY"))
    .addOption(new Option("--encoding <encoding>", "file encoding").choices(BILLING_ENCODINGS as unknown as string[]).default("auto"))
    .option("--institution <code>", "accept lines of this institution only")
    .option("--json", "print the result as one JSON object")
    .option("--quiet", "no progress lines");
  addStoreOptions(importCommand);
  importCommand.action(async (file: string, flags: ImportFlags) => {
    const log = stderrLog(flags.quiet === true);
    const pseudonymKey = pseudonymKeyOf(flags.pseudonymKey);
    const institution = flags.institution === undefined ? undefined : SiteId.parse(flags.institution);
    const store = await openGatewayStore(storeConfigFrom(flags));
    try {
      await store.migrate();
      const started = performance.now();
      const result = await importBillingIntoStore(createReadStream(file), store, {
        pseudonymKey,
        encoding: flags.encoding,
        institution,
        onProgress: (rows) => log("info", `${rows} rows read`),
      });
      const seconds = (performance.now() - started) / 1000;
      await auditCliChange(store, "billing.imported", basename(file), institution ?? null, {
        result: { stored: result.stored, duplicates: result.duplicates, conflicts: result.conflicts, rejected: result.rejected, encoding: result.encoding },
      });
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify({ file, ...result, seconds })}\n`);
        return;
      }
      const lines = [
        `${file} (${result.encoding ?? "empty"}): ${result.stored} stored, ${result.duplicates} duplicates, ${result.rejected} rejected (${result.conflicts} conflicting with stored lines) in ${seconds.toFixed(1)} s`,
        ...result.rejections.slice(0, SHOWN_REJECTIONS).map((r) => `  row ${r.row}${r.column === null ? "" : ` ${r.column}`}: ${r.code} — ${r.reason}`),
        ...(result.rejected > SHOWN_REJECTIONS ? [`  … and ${result.rejected - SHOWN_REJECTIONS} more (--json lists up to 10000)`] : []),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    } finally {
      await store.close();
    }
  });
  return billing.addCommand(importCommand);
}
