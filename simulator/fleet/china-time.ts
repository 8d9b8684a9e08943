/**
 * Device clocks in the simulation read China Standard Time (UTC+08:00, no daylight saving since 1991),
 * the offset the boxes put in `clock.at`. Times are kept as epoch milliseconds and only formatted at
 * the edge.
 */
export const CHINA_OFFSET_MS = 8 * 3_600_000;
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** RFC 3339 with the +08:00 offset and milliseconds, e.g. `2026-11-24T07:31:12.345+08:00`. */
export function chinaTimestamp(epochMs: number): string {
  return new Date(epochMs + CHINA_OFFSET_MS).toISOString().replace("Z", "+08:00");
}

/** Epoch ms of 00:00 China time on the day that contains `epochMs`. */
export function chinaDayStart(epochMs: number): number {
  return Math.floor((epochMs + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS - CHINA_OFFSET_MS;
}

/** Day of the week in China time: 0 Sunday … 6 Saturday. */
export function chinaWeekday(epochMs: number): number {
  return new Date(epochMs + CHINA_OFFSET_MS).getUTCDay();
}

/** Hours since China midnight as a fraction (07:30 → 7.5). */
export function chinaHourOfDay(epochMs: number): number {
  return (epochMs - chinaDayStart(epochMs)) / HOUR_MS;
}

export function chinaYear(epochMs: number): number {
  return new Date(epochMs + CHINA_OFFSET_MS).getUTCFullYear();
}
