import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ContractFile } from "./contract-file.js";
import { replaceGeneratedSections } from "./generated-sections.js";
import { JSON_SCHEMA_DIR, JSON_SCHEMA_SUFFIX, jsonSchemaFiles } from "./json-schemas.js";
import { readmeSections } from "./readme-sections.js";

export const README_PATH = "protocol/README.md";

export interface ContractDifference {
  readonly path: string;
  /** missing: not on disk; differs: on disk with other content; unexpected: a schema file no topic produces; cannot_generate: see detail. */
  readonly problem: "missing" | "differs" | "unexpected" | "cannot_generate";
  readonly detail?: string;
}

interface ContractPlan {
  readonly files: readonly ContractFile[];
  readonly unexpected: readonly string[];
  readonly errors: readonly ContractDifference[];
}

function readText(root: string, path: string): string | undefined {
  const file = join(root, path);
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** What the generated files should hold, given the hand-written parts on disk under `root`. */
function planContract(root: string): ContractPlan {
  const files: ContractFile[] = jsonSchemaFiles();
  const errors: ContractDifference[] = [];
  const readme = readText(root, README_PATH);
  if (readme === undefined) {
    errors.push({ path: README_PATH, problem: "cannot_generate", detail: "the hand-written README is missing" });
  } else {
    const replaced = replaceGeneratedSections(readme, readmeSections());
    if (replaced.ok) files.push({ path: README_PATH, content: replaced.text });
    else errors.push({ path: README_PATH, problem: "cannot_generate", detail: replaced.error });
  }
  const expected = new Set(files.map((file) => file.path));
  const schemaDir = join(root, JSON_SCHEMA_DIR);
  const onDisk = existsSync(schemaDir) ? readdirSync(schemaDir).filter((name) => name.endsWith(JSON_SCHEMA_SUFFIX)) : [];
  const unexpected = onDisk
    .map((name) => `${JSON_SCHEMA_DIR}/${name}`)
    .filter((path) => !expected.has(path))
    .sort();
  return { files, unexpected, errors };
}

/** Every generated file under `root` that is missing, stale or unexpected. Writes nothing. */
export function contractDifferences(root: string): ContractDifference[] {
  const plan = planContract(root);
  const differences: ContractDifference[] = [...plan.errors];
  for (const file of plan.files) {
    const current = readText(root, file.path);
    if (current === undefined) differences.push({ path: file.path, problem: "missing" });
    else if (current !== file.content) differences.push({ path: file.path, problem: "differs" });
  }
  for (const path of plan.unexpected) differences.push({ path, problem: "unexpected" });
  return differences;
}

export interface ContractWrite {
  readonly written: readonly string[];
  readonly removed: readonly string[];
  readonly errors: readonly ContractDifference[];
}

/** Writes the generated files that differ and removes schema files no topic produces. */
export function writeContract(root: string): ContractWrite {
  const plan = planContract(root);
  const written: string[] = [];
  for (const file of plan.files) {
    if (readText(root, file.path) === file.content) continue;
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.content, "utf8");
    written.push(file.path);
  }
  for (const path of plan.unexpected) rmSync(join(root, path));
  return { written, removed: plan.unexpected, errors: plan.errors };
}
