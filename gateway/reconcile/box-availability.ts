import type { DeviceRole } from "../store/gateway-store.js";
import type { BoxStatusPoint } from "./reconcile-input.js";

/**
 * Boxes' online/offline timelines, so that a box that was offline is never read as a patient who was
 * absent. A box's state at t is that of its latest status at or before t; before its first status it
 * is unknown, which is not counted as offline (the rules then say nothing about availability).
 */
export class BoxAvailability {
  private readonly bySite = new Map<string, Map<string, { role: DeviceRole | null; points: BoxStatusPoint[] }>>();

  constructor(points: readonly BoxStatusPoint[]) {
    const sorted = [...points].sort((a, b) => a.at - b.at || a.box.localeCompare(b.box) || a.state.localeCompare(b.state));
    for (const point of sorted) {
      let boxes = this.bySite.get(point.site);
      if (boxes === undefined) {
        boxes = new Map();
        this.bySite.set(point.site, boxes);
      }
      const box = boxes.get(point.box) ?? { role: point.role, points: [] };
      box.role ??= point.role;
      box.points.push(point);
      boxes.set(point.box, box);
    }
  }

  /** Boxes of `role` at `site` that were offline at any instant of [from, to], sorted. */
  offlineDuring(site: string, role: DeviceRole, from: number, to: number): string[] {
    const boxes = this.bySite.get(site);
    if (boxes === undefined) return [];
    const offline: string[] = [];
    for (const [box, { role: boxRole, points }] of boxes) {
      if (boxRole !== null && boxRole !== role) continue;
      if (wasOffline(points, from, to)) offline.push(box);
    }
    return offline.sort();
  }
}

function wasOffline(points: readonly BoxStatusPoint[], from: number, to: number): boolean {
  let stateAtFrom: "online" | "offline" | null = null;
  for (const point of points) {
    if (point.at <= from) stateAtFrom = point.state;
    else if (point.at <= to && point.state === "offline") return true;
    else if (point.at > to) break;
  }
  return stateAtFrom === "offline";
}
