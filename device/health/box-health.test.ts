import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { BoxConfig } from "../../firmware-config/box-config.js";
import { PROTOCOL_VERSION, StatusMessage, TOPICS } from "../../protocol/index.js";
import type { CameraHealth } from "../ports.js";
import { buildStatusHealth, cameraState, healthChanged, healthThresholdsOf, readerState, type HealthReadings } from "./box-health.js";
import { clockOffsetFromDateHeader, readDiskSpace } from "./system-readings.js";

const NOW = Date.parse("2026-11-25T10:00:00.000Z");
const config = BoxConfig.parse({
  configVersion: 1,
  box: { id: "chair-1", site: "H-1", role: "dialysis_station", location: "1" },
  gateway: { mqttUrl: "mqtt://gw:1883", httpUrl: "http://gw:8080" },
  keys: { signingKeyPath: "/k/b", pseudonymKeyPath: "/k/p", pseudonymKeyId: "pk-1", templateKeyPath: "/k/t" },
  outbox: { backlogAlarm: 100 },
  health: { diskFreeAlarmBytes: 1_000_000, clockOffsetAlarmMs: 30_000, cameraStallAlarmMs: 5_000 },
});
const thresholds = healthThresholdsOf(config);

const streaming: CameraHealth = { state: "streaming", lastFrameAt: NOW - 100, framesDelivered: 900, restarts: 0, problem: null };

function readings(fields: Partial<HealthReadings> = {}): HealthReadings {
  return {
    reader: { connected: true, samStatus: { ok: true } },
    camera: streaming,
    outbox: { depth: 3, oldestCreatedAt: NOW - 60_000 },
    disk: { freeBytes: 5_000_000, totalBytes: 10_000_000 },
    clockOffsetMs: 120,
    lastEventAt: NOW - 30_000,
    models: ["blazeface-front@1", "dlib-resnet-v1@2"],
    now: NOW,
    ...fields,
  };
}

describe("box health", () => {
  it("a healthy box: every component ok, no alarm, and the readings as the contract carries them", () => {
    expect(buildStatusHealth(readings(), thresholds)).toStrictEqual({
      reader: "ok",
      camera: "ok",
      outboxDepth: 3,
      oldestPendingAt: "2026-11-25T09:59:00.000Z",
      models: ["blazeface-front@1", "dlib-resnet-v1@2"],
      lastEventAt: "2026-11-25T09:59:30.000Z",
      disk: { freeBytes: 5_000_000, totalBytes: 10_000_000 },
      clockOffsetMs: 120,
      alarms: [],
    });
  });

  it("reports the configuration revision the box runs and its overdue sessions when given", () => {
    expect(buildStatusHealth(readings({ configRevision: 7, overdueSessions: 2 }), thresholds)).toMatchObject({ configRevision: 7, overdueSessions: 2 });
    expect(buildStatusHealth(readings(), thresholds)).not.toHaveProperty("configRevision");
  });

  it("raises each alarm exactly at its threshold", () => {
    expect(buildStatusHealth(readings({ outbox: { depth: 99, oldestCreatedAt: NOW } }), thresholds).alarms).toEqual([]);
    expect(buildStatusHealth(readings({ outbox: { depth: 100, oldestCreatedAt: NOW } }), thresholds).alarms).toEqual(["outbox_backlog"]);
    expect(buildStatusHealth(readings({ disk: { freeBytes: 999_999, totalBytes: 10_000_000 } }), thresholds).alarms).toEqual(["disk_low"]);
    expect(buildStatusHealth(readings({ clockOffsetMs: -30_001 }), thresholds).alarms).toEqual(["clock_offset"]);
    expect(buildStatusHealth(readings({ clockOffsetMs: 30_000 }), thresholds).alarms).toEqual([]);
    const everything = buildStatusHealth(
      readings({ reader: { connected: false, samStatus: null }, camera: { ...streaming, state: "failed" }, outbox: { depth: 500, oldestCreatedAt: NOW }, disk: { freeBytes: 0, totalBytes: 1 }, clockOffsetMs: 90_000 }),
      thresholds,
    );
    expect(everything.alarms).toEqual(["outbox_backlog", "disk_low", "clock_offset", "reader_down", "camera_down"]);
  });

  it("unknown readings are null, not alarms; parts the box lacks are absent", () => {
    const health = buildStatusHealth(readings({ disk: null, clockOffsetMs: null, lastEventAt: null, reader: null, camera: null, outbox: { depth: 0, oldestCreatedAt: null } }), thresholds);
    expect(health).toMatchObject({ reader: "absent", camera: "absent", disk: null, clockOffsetMs: null, lastEventAt: null, oldestPendingAt: null, alarms: [] });
  });

  it("a reader with a failing SAM is degraded; a camera silent past the stall limit is down even if it says streaming", () => {
    expect(readerState({ connected: true, samStatus: { ok: false } })).toBe("degraded");
    expect(readerState({ connected: false, samStatus: { ok: true } })).toBe("down");
    expect(cameraState({ ...streaming, lastFrameAt: NOW - 5_000 }, NOW, 5_000)).toBe("ok");
    expect(cameraState({ ...streaming, lastFrameAt: NOW - 5_001 }, NOW, 5_000)).toBe("down");
    expect(cameraState({ ...streaming, lastFrameAt: null }, NOW, 5_000)).toBe("degraded");
    expect(cameraState({ ...streaming, state: "starting" }, NOW, 5_000)).toBe("degraded");
    expect(cameraState({ ...streaming, state: "stalled" }, NOW, 5_000)).toBe("down");
  });

  it("is a valid status message within the topic's size limit, even with every alarm", () => {
    const health = buildStatusHealth(readings({ reader: { connected: false, samStatus: null }, outbox: { depth: 10_000_000, oldestCreatedAt: 0 }, clockOffsetMs: -1e9 }), thresholds);
    const message = { v: PROTOCOL_VERSION, site: "H-1", box: "chair-1", state: "online", reason: "connected", at: new Date(NOW).toISOString(), agentVersion: "0.1.0", health };
    expect(StatusMessage.safeParse(message).success).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThan(TOPICS.status.maxPayloadBytes);
  });

  it("is worth republishing when a state, an alarm or the models change, not for counters alone", () => {
    const first = buildStatusHealth(readings(), thresholds);
    expect(healthChanged(null, first)).toBe(true);
    expect(healthChanged(first, buildStatusHealth(readings({ outbox: { depth: 50, oldestCreatedAt: NOW } }), thresholds))).toBe(false);
    expect(healthChanged(first, buildStatusHealth(readings({ outbox: { depth: 150, oldestCreatedAt: NOW } }), thresholds))).toBe(true);
    expect(healthChanged(first, buildStatusHealth(readings({ camera: { ...streaming, state: "stopped" } }), thresholds))).toBe(true);
    expect(healthChanged(first, buildStatusHealth(readings({ models: ["dlib-resnet-v1@2"] }), thresholds))).toBe(true);
  });
});

describe("system readings", () => {
  it("reads the free and total space of a real volume, and null for a path that does not exist", async () => {
    const disk = await readDiskSpace(tmpdir());
    expect(disk?.totalBytes).toBeGreaterThan(0);
    expect(disk?.freeBytes).toBeLessThanOrEqual(disk?.totalBytes ?? 0);
    expect(await readDiskSpace("/no/such/volume/here")).toBeNull();
  });

  it("takes the clock offset from a Date header against the exchange's midpoint", () => {
    const header = "Wed, 25 Nov 2026 10:00:00 GMT";
    // Server at 10:00:00.500 (centred), box midpoint at 10:00:10.500: the box is 10 s ahead.
    expect(clockOffsetFromDateHeader(NOW + 10_000, NOW + 11_000, header)).toBe(10_000);
    expect(clockOffsetFromDateHeader(NOW - 20_000, NOW - 19_000, header)).toBe(-20_000);
    expect(clockOffsetFromDateHeader(NOW, NOW, null)).toBeNull();
    expect(clockOffsetFromDateHeader(NOW, NOW, "yesterday-ish")).toBeNull();
  });
});
