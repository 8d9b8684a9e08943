import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { exampleMessages } from "./examples.js";
import { QUARANTINE_REASONS } from "./quarantine-reasons.js";
import { TOPIC_KINDS, topicPattern } from "./topics.js";
import { contractDifferences, README_PATH, writeContract } from "./tools/contract.js";
import { JSON_SCHEMA_DIR, jsonSchemaPath } from "./tools/json-schemas.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(root, README_PATH), "utf8");

describe("protocol/README.md", () => {
  it.each(QUARANTINE_REASONS)("documents the quarantine reason %s", (reason) => {
    expect(readme).toContain(`\`${reason}\``);
  });

  it.each(TOPIC_KINDS)("documents the %s topic", (kind) => {
    expect(readme).toContain(`\`${topicPattern(kind)}\``);
  });

  it("shows every example message", () => {
    for (const example of Object.values(exampleMessages())) expect(readme).toContain(JSON.stringify(example.message, null, 2));
  });
});

describe("generated contract files", () => {
  it("are up to date (npm run contract:check reports no difference)", () => {
    expect(contractDifferences(root)).toEqual([]);
  });

  it("the check command exits 0", async () => {
    const tsx = join(root, "node_modules", ".bin", "tsx");
    const { stdout } = await promisify(execFile)(tsx, [join(root, "protocol/tools/generate-contract.ts"), "--check"], { cwd: root });
    expect(stdout).toContain("up to date");
  });
});

describe("the contract check", () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  /** A copy of the contract's generated files and README in a temporary root. */
  function copyOfContract(): string {
    scratch = mkdtempSync(join(tmpdir(), "carewitness-contract-"));
    cpSync(join(root, README_PATH), join(scratch, README_PATH));
    cpSync(join(root, JSON_SCHEMA_DIR), join(scratch, JSON_SCHEMA_DIR), { recursive: true });
    return scratch;
  }

  it("lists every file that differs, is missing or is unexpected, and generation repairs them", () => {
    const dir = copyOfContract();
    const readmePath = join(dir, README_PATH);
    writeFileSync(readmePath, readFileSync(readmePath, "utf8").replace("| `invalid_utf8` |", "| `invalid_utf_8` |"));
    unlinkSync(join(dir, jsonSchemaPath("alerts")));
    writeFileSync(join(dir, jsonSchemaPath("events")), "{}\n");
    writeFileSync(join(dir, JSON_SCHEMA_DIR, "retired.schema.json"), "{}\n");

    expect(contractDifferences(dir)).toEqual(
      expect.arrayContaining([
        { path: README_PATH, problem: "differs" },
        { path: jsonSchemaPath("alerts"), problem: "missing" },
        { path: jsonSchemaPath("events"), problem: "differs" },
        { path: `${JSON_SCHEMA_DIR}/retired.schema.json`, problem: "unexpected" },
      ]),
    );
    expect(contractDifferences(dir)).toHaveLength(4);

    const written = writeContract(dir);
    expect([...written.written].sort()).toEqual([README_PATH, jsonSchemaPath("alerts"), jsonSchemaPath("events")].sort());
    expect(written.removed).toEqual([`${JSON_SCHEMA_DIR}/retired.schema.json`]);
    expect(contractDifferences(dir)).toEqual([]);
    expect(readFileSync(readmePath, "utf8")).toBe(readme);
  });

  it("leaves the hand-written prose alone", () => {
    const dir = copyOfContract();
    const readmePath = join(dir, README_PATH);
    const edited = readme.replace("## 1. Conventions", "## 1. Conventions (edited)");
    writeFileSync(readmePath, edited);
    expect(contractDifferences(dir)).toEqual([]);
    writeContract(dir);
    expect(readFileSync(readmePath, "utf8")).toBe(edited);
  });

  it("reports a README whose markers are gone instead of overwriting it", () => {
    const dir = copyOfContract();
    const readmePath = join(dir, README_PATH);
    const broken = readme.replace("<!-- generated:topics:end -->", "");
    writeFileSync(readmePath, broken);
    expect(contractDifferences(dir)).toEqual([{ path: README_PATH, problem: "cannot_generate", detail: expect.stringContaining("topics") as unknown }]);
    expect(writeContract(dir).errors).toHaveLength(1);
    expect(readFileSync(readmePath, "utf8")).toBe(broken);
  });
});
