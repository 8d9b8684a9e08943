/**
 * Times in billing exports. Chinese hospital systems write local wall-clock time without an offset
 * (`2026-11-24 07:30`, national field `fee_ocur_time` as `yyyy-MM-dd HH:mm:ss`); that is China Standard
 * Time, UTC+8 all year (no daylight saving since 1991). An explicit offset or `Z` wins.
 */
export const CST_OFFSET_MS = 8 * 3_600_000;

const DATE_TIME =
  /^(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;
const DATE_ONLY = /^(\d{4})[-/](\d{2})[-/](\d{2})$/;

function validDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function offsetMs(text: string | undefined): number | null {
  if (text === undefined) return CST_OFFSET_MS;
  if (text === "Z") return 0;
  const sign = text.startsWith("-") ? -1 : 1;
  const digits = text.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4));
  if (hours > 14 || minutes > 59) return null;
  return sign * (hours * 3_600_000 + minutes * 60_000);
}

/** ms since epoch, or null when the text is not a date-time this format allows. */
export function parseBillingTime(text: string): number | null {
  const m = DATE_TIME.exec(text.trim());
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  const offset = offsetMs(zone);
  if (offset === null) return null;
  const millis = frac === undefined ? 0 : Number(frac.padEnd(3, "0"));
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset;
}

/** A calendar date `YYYY-MM-DD` (slashes accepted), or null. A date-time is cut to its CST date. */
export function parseBillingDate(text: string): string | null {
  const trimmed = text.trim();
  const m = DATE_ONLY.exec(trimmed);
  if (m !== null) {
    const [, y, mo, d] = m;
    return validDate(Number(y), Number(mo), Number(d)) ? `${y ?? ""}-${mo ?? ""}-${d ?? ""}` : null;
  }
  const at = parseBillingTime(trimmed);
  return at === null ? null : chinaDateOf(at);
}

/** The China Standard Time calendar date of an instant. */
export function chinaDateOf(at: number): string {
  const day = Math.floor((at + CST_OFFSET_MS) / 86_400_000);
  let date = DATE_CACHE.get(day);
  if (date === undefined) {
    date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (DATE_CACHE.size > 10_000) DATE_CACHE.clear();
    DATE_CACHE.set(day, date);
  }
  return date;
}
/** Days are few and rows many: billing files repeat the same dates. */
const DATE_CACHE = new Map<number, string>();

/** The instant a CST calendar date begins, plus `hours`. */
export function chinaDayStart(date: string, hours = 0): number {
  return Date.parse(`${date}T00:00:00+08:00`) + hours * 3_600_000;
}

/** Whole days from date a to date b (both `YYYY-MM-DD`). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
