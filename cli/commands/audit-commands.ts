import { Command } from "commander";
import { readFileSync } from "node:fs";
import { verifyAuditChain } from "../../gateway/alerts/audit-chain.js";
import { verifyEvidenceBundle } from "../../gateway/alerts/evidence-bundle.js";
import { openGatewayStore } from "../../gateway/open-store.js";
import { addStoreOptions, storeConfigFrom } from "../store-options.js";

/**
 * `carewitness audit verify`: walks the audit log's hash chain and proves it intact (printing the
 * head hash to keep elsewhere: truncation of the newest entries shows only against a kept head) or
 * names the first broken link and exits 1. `carewitness audit verify-bundle FILE` checks an evidence
 * bundle's signature.
 */
export function auditCommands(): Command {
  const audit = new Command("audit").description("The append-only, hash-chained audit log and signed evidence bundles.");
  const verify = new Command("verify").description("Prove the audit log's hash chain intact, or name the first broken link (exit 1).").option("--json", "print JSON");
  addStoreOptions(verify);
  verify.action(async (flags: { json?: boolean; sqlite: string; pg?: string; pgSchema?: string }) => {
    const store = await openGatewayStore(storeConfigFrom(flags));
    try {
      const verdict = await verifyAuditChain(store.alertCases());
      if (flags.json === true) process.stdout.write(`${JSON.stringify(verdict)}\n`);
      else if (verdict.intact) process.stdout.write(`audit log intact: ${String(verdict.entries)} entries, head ${verdict.head}\n`);
      else process.stdout.write(`audit log BROKEN at entry ${String(verdict.seq)} (${verdict.problem}): ${verdict.detail}; ${String(verdict.entries)} entries before it verify\n`);
      if (!verdict.intact) process.exitCode = 1;
    } finally {
      await store.close();
    }
  });
  const bundle = new Command("verify-bundle")
    .description("Check an evidence bundle's Ed25519 signature (exit 1 if it does not verify).")
    .argument("<file>", "the bundle (GET /api/v1/alerts/{id}/evidence)")
    .option("--public-key <base64url>", "the gateway's evidence key (GET /api/v1/evidence-key) to pin");
  bundle.action((file: string, flags: { publicKey?: string }) => {
    const check = verifyEvidenceBundle(JSON.parse(readFileSync(file, "utf8")) as unknown, flags.publicKey);
    process.stdout.write(check.ok ? "evidence bundle signature verifies\n" : `evidence bundle does NOT verify: ${check.reason}\n`);
    if (!check.ok) process.exitCode = 1;
  });
  return audit.addCommand(verify).addCommand(bundle);
}
