import { isDialysis, type ItemCategory } from "../billing/item-catalogue.js";
import { chinaDateOf } from "../billing/china-time.js";
import type { AlertCase, VerdictCount } from "../store/alert-case-records.js";
import type { BilledItemRecord, Device } from "../store/gateway-store.js";
import { AlertMessage } from "../../protocol/index.js";

/**
 * Supervisors' feedback and coverage. Precision per rule and institution is confirmed / (confirmed +
 * dismissed) over reviewed alerts, so a noisy rule or a box with a bad camera stands out. Coverage
 * per CST week (Monday to Sunday): billed dialysis sessions, how many had verified presence (no D1,
 * D2 or C1 alert names the line, unless that alert was dismissed), how many were unverifiable (C1).
 */
export interface RulePrecision {
  readonly rule: string;
  readonly site: string;
  readonly confirmed: number;
  readonly dismissed: number;
  readonly reviewed: number;
  readonly precision: number | null;
}

export function rulePrecision(counts: readonly VerdictCount[]): RulePrecision[] {
  const byKey = new Map<string, { rule: string; site: string; confirmed: number; dismissed: number }>();
  for (const c of counts) {
    const key = `${c.rule}|${c.site}`;
    const entry = byKey.get(key) ?? { rule: c.rule, site: c.site, confirmed: 0, dismissed: 0 };
    if (c.state === "confirmed") entry.confirmed += c.count;
    if (c.state === "dismissed") entry.dismissed += c.count;
    byKey.set(key, entry);
  }
  return [...byKey.values()].map((e) => {
    const reviewed = e.confirmed + e.dismissed;
    return { ...e, reviewed, precision: reviewed === 0 ? null : e.confirmed / reviewed };
  });
}

/** Monday of the CST week containing `at`, as YYYY-MM-DD. */
export function weekOf(at: number): string {
  const date = chinaDateOf(at);
  const day = new Date(`${date}T00:00:00Z`);
  const back = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - back * 86_400_000).toISOString().slice(0, 10);
}

export interface WeekCoverage {
  readonly week: string;
  readonly billedSessions: number;
  readonly verifiedSessions: number;
  readonly unverifiableSessions: number;
  readonly verifiedShare: number | null;
  readonly alertsByRule: Readonly<Record<string, number>>;
  /** Boxes of the institution online at some time in the week (from their status timelines). */
  readonly boxesOnline: number;
}

/** A box's online/offline points, oldest first. */
export interface BoxTimeline {
  readonly box: string;
  readonly points: readonly { readonly state: "online" | "offline"; readonly at: number }[];
}

const WEEK_MS = 7 * 86_400_000;

function onlineDuring(timeline: BoxTimeline, from: number, to: number): boolean {
  let state: "online" | "offline" | null = null;
  for (const p of timeline.points) {
    if (p.at <= from) state = p.state;
    else if (p.at < to && p.state === "online") return true;
  }
  return state === "online";
}

export interface Coverage {
  readonly site: string;
  readonly weeks: readonly WeekCoverage[];
  readonly boxes: { readonly total: number; readonly online: number; readonly offline: number; readonly unknown: number };
}

const UNVERIFIED_RULES = ["D1", "D2", "C1"];

export function coverage(site: string, lines: readonly BilledItemRecord[], alerts: readonly AlertCase[], devices: readonly Device[], timelines: readonly BoxTimeline[] = []): Coverage {
  const unverified = new Map<string, string>();
  const weeks = new Map<string, { billed: number; verified: number; unverifiable: number; rules: Record<string, number> }>();
  const week = (key: string) => {
    let w = weeks.get(key);
    if (w === undefined) {
      w = { billed: 0, verified: 0, unverifiable: 0, rules: {} };
      weeks.set(key, w);
    }
    return w;
  };
  for (const alert of alerts) {
    const w = week(weekOf(alert.occurredAt));
    w.rules[alert.rule] = (w.rules[alert.rule] ?? 0) + 1;
    if (!UNVERIFIED_RULES.includes(alert.rule) || alert.state === "dismissed" || alert.state === "auto_resolved") continue;
    for (const id of AlertMessage.parse(JSON.parse(alert.body)).evidence.billingLineIds ?? []) if (unverified.get(id) !== "C1") unverified.set(id, alert.rule);
  }
  for (const line of lines) {
    if (!isDialysis(line.category as ItemCategory)) continue;
    const w = week(weekOf(line.serviceAt));
    w.billed++;
    const rule = unverified.get(line.id);
    if (rule === undefined) w.verified++;
    else if (rule === "C1") w.unverifiable++;
  }
  return {
    site,
    weeks: [...weeks.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, w]) => {
        const from = Date.parse(`${key}T00:00:00+08:00`);
        const boxesOnline = timelines.filter((t) => onlineDuring(t, from, from + WEEK_MS)).length;
        return { week: key, billedSessions: w.billed, verifiedSessions: w.verified, unverifiableSessions: w.unverifiable, verifiedShare: w.billed === 0 ? null : w.verified / w.billed, alertsByRule: w.rules, boxesOnline };
      }),
    boxes: {
      total: devices.length,
      online: devices.filter((d) => d.state === "online").length,
      offline: devices.filter((d) => d.state === "offline").length,
      unknown: devices.filter((d) => d.state === null).length,
    },
  };
}
