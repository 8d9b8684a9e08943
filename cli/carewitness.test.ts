import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testBox } from "../test/fixtures/signed-events.js";
import { runCarewitness, type CliResult } from "./cli-process.js";

/** The technicians' side of the CLI, run as a person runs it: a process per command. */
const dir = mkdtempSync(join(tmpdir(), "cw-cli-"));
const db = join(dir, "gateway.db");

function carewitness(...args: string[]): Promise<CliResult> {
  return runCarewitness([...args, "--sqlite", db]);
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("carewitness CLI", () => {
  const box = testBox("cli-chair-1", "H-CLI");

  it("registers a box, lists it and disables it", async () => {
    const registered = await carewitness("devices", "register", "--box", box.box, "--site", box.site, "--role", "dialysis_station", "--location", "chair-1", "--public-key", box.publicKey, "--json");
    expect(registered.code, registered.stderr).toBe(0);
    expect(JSON.parse(registered.stdout)).toEqual({ result: "created", box: box.box, keyId: box.keyId });
    const again = await carewitness("devices", "register", "--box", box.box, "--site", box.site, "--role", "dialysis_station", "--location", "chair-1", "--public-key", box.publicKey, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ result: "unchanged" });
    const disabled = await carewitness("devices", "disable", box.box);
    expect(disabled.stdout).toContain("DISABLED");
    const listed = await carewitness("devices", "list", "--site", "H-CLI", "--json");
    expect(listed.stdout.trim().split("\n").map((line) => JSON.parse(line) as { box: string; enabled: boolean })).toEqual([
      expect.objectContaining({ box: box.box, enabled: false }),
    ]);
  });

  it("refuses another key for a registered box with a clear message", async () => {
    const other = testBox("someone-else", "H-CLI");
    const result = await carewitness("devices", "register", "--box", box.box, "--site", box.site, "--role", "dialysis_station", "--location", "chair-1", "--public-key", other.publicKey);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--replace-key");
  });

  it("creates a token shown once, and insists on a site for hospital tokens", async () => {
    const created = await carewitness("tokens", "create", "--name", "ops", "--role", "admin", "--json");
    expect(JSON.parse(created.stdout)).toMatchObject({ name: "ops", role: "admin", site: null, token: expect.stringMatching(/^cwt_/) as unknown });
    const hospital = await carewitness("tokens", "create", "--name", "ward it", "--role", "hospital");
    expect(hospital.code).toBe(1);
    expect(hospital.stderr).toContain("--site is required");
    const badRole = await carewitness("tokens", "create", "--name", "x", "--role", "root");
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toContain("root");
  });
});
