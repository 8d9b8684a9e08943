/**
 * Regenerates the contract's derived files from the zod source: protocol/json-schema/*.schema.json
 * and the generated sections of protocol/README.md.
 *
 *   npm run contract:generate   write what differs
 *   npm run contract:check      write nothing; exit 1 and list every file that differs or is missing
 */
import { fileURLToPath } from "node:url";
import { contractDifferences, writeContract, type ContractDifference } from "./contract.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

function describe(difference: ContractDifference): string {
  return `  ${difference.path}: ${difference.problem}${difference.detail === undefined ? "" : ` (${difference.detail})`}`;
}

function check(): number {
  const differences = contractDifferences(root);
  if (differences.length === 0) {
    console.log("contract: generated files are up to date");
    return 0;
  }
  console.error("contract: generated files are out of date:");
  for (const difference of differences) console.error(describe(difference));
  console.error("run `npm run contract:generate` and commit the result");
  return 1;
}

function generate(): number {
  const result = writeContract(root);
  for (const path of result.written) console.log(`wrote ${path}`);
  for (const path of result.removed) console.log(`removed ${path}`);
  if (result.written.length === 0 && result.removed.length === 0) console.log("contract: nothing to change");
  for (const error of result.errors) console.error(describe(error));
  return result.errors.length === 0 ? 0 : 1;
}

process.exitCode = process.argv.includes("--check") ? check() : generate();
