import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BoxConfig } from "./box-config.js";
import { readBoxConfig, rollBackBoxConfig, writeBoxConfig } from "./box-config-file.js";

const dir = mkdtempSync(join(tmpdir(), "cw-box-config-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const minimalConfig = {
  configVersion: 1,
  box: { id: "ward-5b-r1", site: "H50010600123", role: "ward_round", location: "5B" },
  gateway: { mqttUrl: "mqtts://gw.example:8883", httpUrl: "https://gw.example" },
  keys: { signingKeyPath: "/etc/carewitness/box.key", pseudonymKeyPath: "/etc/carewitness/pseudonym.key", pseudonymKeyId: "pk-2026-01", templateKeyPath: "/etc/carewitness/template.key" },
} as const;

describe("box configuration file", () => {
  it("fills every default from a minimal document", () => {
    const config = BoxConfig.parse(minimalConfig);
    expect(config).toMatchObject({ revision: 0, reader: { port: "/dev/ttyUSB0", baudRate: 115200 }, camera: { kind: "v4l2" }, behaviour: { repeatTapWindowS: 120 }, roster: [] });
  });

  it("writes atomically with mode 0600, keeps the previous file, and rolls back to it", () => {
    const path = join(dir, "box.json");
    const first = BoxConfig.parse(minimalConfig);
    writeBoxConfig(path, first);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeBoxConfig(path, { ...first, revision: 5 });
    expect(readBoxConfig(path)).toMatchObject({ ok: true, config: { revision: 5 } });
    expect(rollBackBoxConfig(path)).toMatchObject({ ok: true, config: { revision: 0 } });
  });

  it("reports what is wrong with a bad file instead of throwing", () => {
    const path = join(dir, "bad.json");
    expect(readBoxConfig(join(dir, "absent.json"))).toMatchObject({ ok: false, problem: { code: "missing" } });
    writeFileSync(path, "{ not json");
    expect(readBoxConfig(path)).toMatchObject({ ok: false, problem: { code: "not_json" } });
    writeFileSync(path, JSON.stringify({ ...minimalConfig, configVersion: 2 }));
    expect(readBoxConfig(path)).toMatchObject({ ok: false, problem: { code: "version_too_new" } });
    writeFileSync(path, JSON.stringify({ ...minimalConfig, reader: { port: "/dev/ttyUSB0", baud: 9600 } }));
    const unknownKey = readBoxConfig(path);
    expect(unknownKey.ok).toBe(false);
    expect(unknownKey.ok ? "" : unknownKey.problem.message).toContain("reader");
    expect(readFileSync(path, "utf8")).toContain("baud");
  });
});
