import { statfs } from "node:fs/promises";
import type { DiskSpace } from "./box-health.js";

/** Readings of the box itself for its health: disk space and clock offset. */

/** Free (for unprivileged users) and total bytes of the volume holding `path`; null if unreadable. */
export async function readDiskSpace(path: string): Promise<DiskSpace | null> {
  try {
    const stats = await statfs(path);
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  } catch {
    return null;
  }
}

/**
 * The box clock's offset from a server's, from an HTTP `Date` header (RFC 9110 §6.6.1, one-second
 * resolution): the server's time is taken as the midpoint of the exchange, and the header's
 * truncation to the second is centred by adding 500 ms. Good to about ±(rtt/2 + 500 ms), enough to
 * raise an alarm at tens of seconds; null when the header is missing or unreadable.
 */
export function clockOffsetFromDateHeader(sentAt: number, receivedAt: number, dateHeader: string | null): number | null {
  if (dateHeader === null) return null;
  const serverSecond = Date.parse(dateHeader);
  if (Number.isNaN(serverSecond)) return null;
  const midpoint = sentAt + (receivedAt - sentAt) / 2;
  return Math.round(midpoint - (serverSecond + 500));
}

/** Asks the gateway's /health for its clock; null when it cannot be reached. */
export async function measureClockOffset(gatewayUrl: string, now: () => number = Date.now, timeoutMs = 5000): Promise<number | null> {
  const sentAt = now();
  try {
    const response = await fetch(new URL("/health", gatewayUrl), { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return clockOffsetFromDateHeader(sentAt, now(), response.headers.get("date"));
  } catch {
    return null;
  }
}
