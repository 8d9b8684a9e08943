import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { MODEL_CATALOGUE } from "../../models/model-catalogue.js";
import { DEFAULT_MODEL_DIR, modelFiles } from "../../models/model-files.js";
import { modelCommands } from "./model-commands.js";

/** `carewitness models verify|build` against the built models, and against a tampered copy. */
const dir = mkdtempSync(join(tmpdir(), "cw-models-cli-"));
afterEach(() => {
  process.exitCode = undefined;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function models(args: readonly string[]): Promise<{ out: string; code: number }> {
  let out = "";
  const program = new Command().exitOverride().addCommand(modelCommands({ write: (text) => (out += text) }));
  await program.parseAsync(["node", "carewitness", "models", ...args]);
  const code = typeof process.exitCode === "number" ? process.exitCode : 0;
  process.exitCode = undefined;
  return { out, code };
}

interface VerifyOutput {
  ok: boolean;
  models: { id: string; ok: boolean; detail: string }[];
}

describe("carewitness models", () => {
  it("verify checks every model's checksum and runs it once", { timeout: 60_000 }, async () => {
    const { out, code } = await models(["verify", "--json"]);
    const result = JSON.parse(out) as VerifyOutput;
    expect(code).toBe(0);
    expect(result.ok).toBe(true);
    expect(result.models.map((m) => m.id)).toEqual(MODEL_CATALOGUE.map((r) => r.manifest.id));
    expect(result.models.find((m) => m.id === "dlib-resnet-v1")?.detail).toContain("128-d descriptor");
    expect(result.models.find((m) => m.id === "face-landmark-68")?.detail).toContain("68 landmarks");
    expect(result.models.find((m) => m.id === "iris-landmark-64")?.detail).toContain("16 eyelid points");
    expect((await models(["verify"])).out).toMatch(/^ok {3}blazeface-back-256/m);
  });

  it("verify fails, with exit 1, on a model file changed by one byte or missing", { timeout: 60_000 }, async () => {
    for (const recipe of MODEL_CATALOGUE) {
      const from = modelFiles(recipe.manifest.id, DEFAULT_MODEL_DIR);
      const to = modelFiles(recipe.manifest.id, dir);
      copyFileSync(from.manifest, to.manifest);
      if (recipe.manifest.id !== "face-landmark-68") copyFileSync(from.onnx, to.onnx);
    }
    const tampered = modelFiles("dlib-resnet-v1", dir).onnx;
    const bytes = readFileSync(tampered);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    writeFileSync(tampered, bytes);
    const { out, code } = await models(["verify", "--dir", dir, "--json"]);
    const result = JSON.parse(out) as VerifyOutput;
    expect(code).toBe(1);
    expect(result.models).toEqual([
      expect.objectContaining({ id: "blazeface-back-256", ok: true }),
      expect.objectContaining({ id: "dlib-resnet-v1", ok: false, detail: expect.stringContaining("checksum_mismatch") as string }),
      expect.objectContaining({ id: "face-landmark-68", ok: false, detail: expect.stringContaining("missing") as string }),
      expect.objectContaining({ id: "iris-landmark-64", ok: true }),
    ]);
  });

  it("build --check finds models/build exactly as a fresh build would write it", { timeout: 120_000 }, async () => {
    const { out, code } = await models(["build", "--check", "--json"]);
    expect(code).toBe(0);
    expect((JSON.parse(out) as { models: { upToDate: boolean }[] }).models.every((m) => m.upToDate)).toBe(true);
  });
});
