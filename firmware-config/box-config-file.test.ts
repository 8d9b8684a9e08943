import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BoxConfig, BOX_CONFIG_VERSION } from "./box-config.js";
import { applyBoxConfig } from "./box-config-apply.js";
import { readBoxConfig, rollBackBoxConfig, upgradeBoxConfigFile, writeBoxConfig } from "./box-config-file.js";
import { CONFIG_MIGRATIONS, migrateBoxConfigDocument } from "./box-config-migrations.js";

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

/** The pilot boxes' file, before configVersion existed. */
const v0Document = {
  box: { id: "ward-5b-r1", site: "H50010600123", role: "ward_round", ward: "5B" },
  gateway: { mqttUrl: "mqtts://gw.example:8883", httpUrl: "https://gw.example" },
  keyDir: "/etc/carewitness/",
  pseudonymKeyId: "pk-2026-01",
  reader: { port: "/dev/ttyS1", baudRate: 115200 },
};

describe("box configuration file", () => {
  it("fills every default from a minimal document", () => {
    const config = BoxConfig.parse(minimalConfig);
    expect(config).toMatchObject({
      revision: 0,
      reader: { port: "/dev/ttyUSB0", baudRate: 115200 },
      camera: { kind: "v4l2" },
      behaviour: { repeatTapWindowS: 120 },
      roster: [],
      keys: { templateKeyId: null },
      templates: { syncIntervalS: 60 },
      health: { diskFreeAlarmBytes: 512 * 1024 * 1024 },
    });
  });

  it("writes atomically with mode 0600, keeps the previous file, and rolls back to it keeping the failed one", () => {
    const path = join(dir, "box.json");
    const first = BoxConfig.parse(minimalConfig);
    writeBoxConfig(path, first);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(existsSync(`${path}.tmp`)).toBe(false);
    writeBoxConfig(path, { ...first, revision: 5 });
    expect(readBoxConfig(path)).toMatchObject({ ok: true, config: { revision: 5 } });
    expect(readBoxConfig(`${path}.previous`)).toMatchObject({ ok: true, config: { revision: 0 } });
    expect(rollBackBoxConfig(path)).toMatchObject({ ok: true, config: { revision: 0 } });
    expect(readBoxConfig(path)).toMatchObject({ ok: true, config: { revision: 0 } });
    expect(readBoxConfig(`${path}.failed`)).toMatchObject({ ok: true, config: { revision: 5 } });
    // The previous file was consumed: a second rollback does not swap back to the failed one.
    expect(rollBackBoxConfig(path)).toMatchObject({ ok: false, problem: { code: "missing" } });
    expect(readBoxConfig(path)).toMatchObject({ ok: true, config: { revision: 0 } });
  });

  it("reports what is wrong with a bad file instead of throwing", () => {
    const path = join(dir, "bad.json");
    expect(readBoxConfig(join(dir, "absent.json"))).toMatchObject({ ok: false, problem: { code: "missing" } });
    writeFileSync(path, "{ not json");
    expect(readBoxConfig(path)).toMatchObject({ ok: false, problem: { code: "not_json" } });
    writeFileSync(path, JSON.stringify({ ...minimalConfig, configVersion: BOX_CONFIG_VERSION + 1 }));
    expect(readBoxConfig(path)).toMatchObject({ ok: false, problem: { code: "version_too_new" } });
    writeFileSync(path, JSON.stringify({ ...minimalConfig, configVersion: "1" }));
    expect(readBoxConfig(path)).toMatchObject({ ok: false, problem: { code: "invalid", message: expect.stringContaining("configVersion") as string } });
    writeFileSync(path, JSON.stringify({ ...v0Document, keyDir: 7 }));
    expect(readBoxConfig(path)).toMatchObject({ ok: false, problem: { code: "migration_failed" } });
    writeFileSync(path, JSON.stringify({ ...minimalConfig, reader: { port: "/dev/ttyUSB0", baud: 9600 } }));
    const unknownKey = readBoxConfig(path);
    expect(unknownKey.ok).toBe(false);
    expect(unknownKey.ok ? "" : unknownKey.problem.message).toContain("reader");
    expect(readFileSync(path, "utf8")).toContain("baud");
  });
});

describe("box configuration migrations", () => {
  it("has one step per older version, in order", () => {
    expect(CONFIG_MIGRATIONS.map((step) => step.from)).toEqual(Array.from({ length: BOX_CONFIG_VERSION }, (_, n) => n));
  });

  it("migrates a v0 file to the current schema: location from the ward, key paths from keyDir, other settings kept", () => {
    const path = join(dir, "v0.json");
    writeFileSync(path, JSON.stringify(v0Document));
    const read = readBoxConfig(path);
    expect(read).toMatchObject({
      ok: true,
      migratedFrom: 0,
      config: {
        configVersion: BOX_CONFIG_VERSION,
        box: { location: "5B" },
        keys: { signingKeyPath: "/etc/carewitness/box.key", templateKeyPath: "/etc/carewitness/template.key", pseudonymKeyId: "pk-2026-01" },
        reader: { port: "/dev/ttyS1" },
      },
    });
    const station = migrateBoxConfigDocument({ ...v0Document, box: { id: "d1", site: "S", role: "dialysis_station", station: "chair-3" } });
    expect(station.ok && BoxConfig.parse(station.document).box.location).toBe("chair-3");
  });

  it("refuses a v0 file it cannot migrate, with the reason", () => {
    expect(migrateBoxConfigDocument({ ...v0Document, keyDir: "" })).toMatchObject({ ok: false, from: 0, message: expect.stringContaining("keyDir") as string });
    expect(migrateBoxConfigDocument({ ...v0Document, box: { ...v0Document.box, station: "c1" } })).toMatchObject({ ok: false, message: expect.stringContaining("both") as string });
  });

  it("upgrading a v0 file rewrites it in the current version and keeps the original beside it", () => {
    const path = join(dir, "upgrade.json");
    writeFileSync(path, JSON.stringify(v0Document));
    expect(upgradeBoxConfigFile(path)).toMatchObject({ ok: true, migratedFrom: 0 });
    expect(JSON.parse(readFileSync(`${path}.v0`, "utf8"))).toEqual(v0Document);
    const upgraded = readBoxConfig(path);
    expect(upgraded.ok && upgraded.migratedFrom).toBe(undefined);
    expect(upgraded).toMatchObject({ ok: true, config: { configVersion: BOX_CONFIG_VERSION, box: { location: "5B" } } });
  });
});

describe("applying a configuration with rollback", () => {
  it("keeps a configuration whose parts start", async () => {
    const path = join(dir, "apply-ok.json");
    writeBoxConfig(path, BoxConfig.parse(minimalConfig));
    const next = { ...BoxConfig.parse(minimalConfig), revision: 2 };
    const started: number[] = [];
    const outcome = await applyBoxConfig(path, next, (config) => {
      started.push(config.revision);
      return Promise.resolve();
    });
    expect(outcome).toMatchObject({ applied: true, config: { revision: 2 } });
    expect(started).toEqual([2]);
    expect(readBoxConfig(path)).toMatchObject({ ok: true, config: { revision: 2 } });
  });

  it("rolls back to the previous file and restarts with it when the new one fails to start", async () => {
    const path = join(dir, "apply-fail.json");
    writeBoxConfig(path, { ...BoxConfig.parse(minimalConfig), revision: 3 });
    const next = { ...BoxConfig.parse(minimalConfig), revision: 4, camera: { kind: "rtsp" as const, url: "rtsp://nowhere", width: 640, height: 480, fps: 15 } };
    const started: number[] = [];
    const outcome = await applyBoxConfig(path, next, (config) => {
      started.push(config.revision);
      return config.camera.kind === "rtsp" ? Promise.reject(new Error("camera rtsp://nowhere does not answer")) : Promise.resolve();
    });
    expect(outcome).toMatchObject({ applied: false, reason: "start_failed", detail: "camera rtsp://nowhere does not answer", running: { ok: true, config: { revision: 3 } } });
    expect(started).toEqual([4, 3]);
    expect(readBoxConfig(path)).toMatchObject({ ok: true, config: { revision: 3 } });
    expect(readBoxConfig(`${path}.failed`)).toMatchObject({ ok: true, config: { revision: 4 } });
  });
});
