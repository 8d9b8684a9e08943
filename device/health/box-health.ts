import type { BoxConfig } from "../../firmware-config/box-config.js";
import type { StatusAlarm, StatusMessage } from "../../protocol/index.js";
import type { CameraHealth } from "../ports.js";

/**
 * The box's health as the contract's status message carries it (protocol/messages/status.ts), built
 * from narrow readings of its parts, with alarms where a threshold of the configuration is crossed.
 * Pure: the agent gathers the readings (reader.health(), camera.health(), outbox.stats(), disk space,
 * clock offset) and publishes the result retained on its status topic; its MQTT will says `offline`.
 */
export type StatusHealth = NonNullable<StatusMessage["health"]>;
export type ComponentState = StatusHealth["reader"];

/** What the health needs of the ID-card reader (device/idcard ReaderHealth fits). */
export interface ReaderReading {
  readonly connected: boolean;
  readonly samStatus: { readonly ok: boolean } | null;
}

export interface DiskSpace {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

export interface HealthReadings {
  /** null: this box has no reader configured. */
  readonly reader: ReaderReading | null;
  /** null: this box has no camera configured. */
  readonly camera: CameraHealth | null;
  readonly outbox: { readonly depth: number; readonly oldestCreatedAt: number | null };
  /** null when it could not be read. */
  readonly disk: DiskSpace | null;
  /** Box clock minus the reference clock, ms; null if unknown. */
  readonly clockOffsetMs: number | null;
  readonly lastEventAt: number | null;
  /** Face models in use, as id@version. */
  readonly models: readonly string[];
  /** The configuration revision running; absent: not reported. */
  readonly configRevision?: number;
  /** Check-ins past the maximum session duration without a check-out; absent: not reported. */
  readonly overdueSessions?: number;
  readonly now: number;
}

export interface HealthThresholds {
  readonly backlogAlarm: number;
  readonly diskFreeAlarmBytes: number;
  readonly clockOffsetAlarmMs: number;
  readonly cameraStallAlarmMs: number;
}

export function healthThresholdsOf(config: BoxConfig): HealthThresholds {
  return {
    backlogAlarm: config.outbox.backlogAlarm,
    diskFreeAlarmBytes: config.health.diskFreeAlarmBytes,
    clockOffsetAlarmMs: config.health.clockOffsetAlarmMs,
    cameraStallAlarmMs: config.health.cameraStallAlarmMs,
  };
}

export function readerState(reader: ReaderReading | null): ComponentState {
  if (reader === null) return "absent";
  if (!reader.connected) return "down";
  return reader.samStatus === null || reader.samStatus.ok ? "ok" : "degraded";
}

/** A camera that claims to stream but delivered nothing for `stallMs` is down, whatever it says. */
export function cameraState(camera: CameraHealth | null, now: number, stallMs: number): ComponentState {
  if (camera === null) return "absent";
  switch (camera.state) {
    case "streaming":
      if (camera.lastFrameAt === null) return "degraded";
      return now - camera.lastFrameAt > stallMs ? "down" : "ok";
    case "starting":
      return "degraded";
    case "stalled":
    case "stopped":
    case "failed":
      return "down";
  }
}

export function buildStatusHealth(readings: HealthReadings, thresholds: HealthThresholds): StatusHealth {
  const reader = readerState(readings.reader);
  const camera = cameraState(readings.camera, readings.now, thresholds.cameraStallAlarmMs);
  const alarms: StatusAlarm[] = [];
  if (readings.outbox.depth >= thresholds.backlogAlarm) alarms.push("outbox_backlog");
  if (readings.disk !== null && readings.disk.freeBytes < thresholds.diskFreeAlarmBytes) alarms.push("disk_low");
  if (readings.clockOffsetMs !== null && Math.abs(readings.clockOffsetMs) > thresholds.clockOffsetAlarmMs) alarms.push("clock_offset");
  if (reader === "down") alarms.push("reader_down");
  if (camera === "down") alarms.push("camera_down");
  return {
    reader,
    camera,
    outboxDepth: readings.outbox.depth,
    oldestPendingAt: isoOrNull(readings.outbox.oldestCreatedAt),
    models: readings.models.slice(0, 8),
    lastEventAt: isoOrNull(readings.lastEventAt),
    disk: readings.disk === null ? null : { freeBytes: Math.trunc(readings.disk.freeBytes), totalBytes: Math.trunc(readings.disk.totalBytes) },
    clockOffsetMs: readings.clockOffsetMs === null ? null : Math.round(readings.clockOffsetMs),
    alarms,
    ...(readings.configRevision === undefined ? {} : { configRevision: readings.configRevision }),
    ...(readings.overdueSessions === undefined ? {} : { overdueSessions: readings.overdueSessions }),
  };
}

/**
 * Whether a new health reading is worth republishing: a component's state, an alarm or the models
 * changed. Counters (outbox depth, disk bytes) alone do not, or the retained topic would churn with
 * every event; the agent also republishes on a slow timer.
 */
export function healthChanged(previous: StatusHealth | null, next: StatusHealth): boolean {
  if (previous === null) return true;
  return (
    previous.reader !== next.reader ||
    previous.camera !== next.camera ||
    (previous.alarms ?? []).join() !== (next.alarms ?? []).join() ||
    (previous.models ?? []).join() !== (next.models ?? []).join()
  );
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
