import type { BoxConfig } from "../../firmware-config/box-config.js";
import { buildStatusHealth, healthThresholdsOf, type DiskSpace, type StatusHealth } from "../health/box-health.js";
import type { ReaderHealth } from "../idcard/id-card-reader.js";
import type { OutboxStats } from "../outbox/event-outbox.js";
import type { CameraHealth } from "../ports.js";

/**
 * The agent's own view of its health (for the kiosk's service page, the simulator and tests); the
 * contract's status health is derived from it by device/health/box-health.ts with the thresholds of
 * the configuration (backlog, free disk, clock offset, camera stall).
 */
export interface AgentHealth {
  readonly at: number;
  readonly reader: ReaderHealth;
  readonly camera: CameraHealth;
  readonly outbox: OutboxStats;
  readonly delivery: { readonly acks: Readonly<Record<string, number>>; readonly invalidAcks: number };
  readonly mqttConnected: boolean;
  readonly configRevision: number;
  readonly lastConfigRefusal: { readonly reason: string; readonly detail: string } | null;
  readonly models: readonly string[];
  readonly lastEventAt: number | null;
  /** Last reading of the outbox volume (refreshed in the background); null before the first or when unreadable. */
  readonly disk: DiskSpace | null;
  /** Box clock minus the gateway's (HTTP Date header), ms; null until measured. */
  readonly clockOffsetMs: number | null;
  readonly counters: Readonly<Record<"overdueSessions" | "cardProblems" | "recordFailures" | "configRefusals", number>>;
}

export function agentStatusHealth(health: AgentHealth, config: BoxConfig): StatusHealth {
  return buildStatusHealth(
    {
      reader: health.reader,
      camera: health.camera,
      outbox: health.outbox,
      disk: health.disk,
      clockOffsetMs: health.clockOffsetMs,
      lastEventAt: health.lastEventAt,
      models: health.models.filter((m) => /^[A-Za-z0-9_.@-]{1,64}$/.test(m)),
      configRevision: config.revision,
      overdueSessions: health.counters.overdueSessions,
      now: health.at,
    },
    healthThresholdsOf(config),
  );
}
