import { describe, expect, it } from "vitest";
import { maskIdNumber } from "../protocol/index.js";

/**
 * The dashboard's pure browser modules, run in node: the SSE parser, alert normalisation and ID
 * masking, the two languages, chart geometry. They are plain JavaScript (no build step), so they are
 * imported by URL and typed here by what the test uses.
 */
interface SseEvent {
  type: string;
  data: string;
  id: string;
}
interface SseModule {
  createSseParser(onEvent: (event: SseEvent) => void): { push(chunk: string): void; lastEventId(): string };
}
interface NormalisedAlert {
  id: string;
  rule: string;
  state: string;
  severity: string;
  institution: string;
  raisedAt: string | null;
  patientMasked: string | null;
  billingLineIds: string[];
  eventIds: string[];
  allowedActions: string[] | null;
}
interface AlertViewModule {
  maskIdNumbers(text: string): string;
  normaliseAlert(raw: unknown): NormalisedAlert;
  matchesFilter(alert: NormalisedAlert, filter: Record<string, string>): boolean;
  actionsFor(alert: NormalisedAlert): string[];
}
interface I18nModule {
  MESSAGES: Record<"zh" | "en", Record<string, string>>;
  RULE_NAMES: Record<string, { zh: string; en: string }>;
  setLanguage(lang: string): void;
  t(key: string, params?: Record<string, unknown>): string;
  label(prefix: string, value: string): string;
  explanationText(explanation: unknown): string;
  formatTime(value: string): string;
}
interface ChartModule {
  shareLineGeometry(shares: (number | null)[]): { points: { x: number; y: number | null }[]; segments: { x: number; y: number }[][] };
  barGeometry(counts: number[], width?: number): number[];
}

const load = async <T>(name: string): Promise<T> => (await import(new URL(`../gateway/dashboard/static/js/${name}`, import.meta.url).href)) as T;
const sse = await load<SseModule>("sse-parser.js");
const view = await load<AlertViewModule>("alert-view.js");
const i18n = await load<I18nModule>("i18n.js");
const chart = await load<ChartModule>("svg-chart.js");
const fleet = await load<{ fleetRow(device: Record<string, unknown>): { backlog: number | null; lastSeen: unknown; state: unknown } }>("views/fleet.js");

describe("dashboard: server-sent events over fetch", () => {
  it("dispatches events split across chunks anywhere, including inside a CRLF", () => {
    const events: SseEvent[] = [];
    const parser = sse.createSseParser((e) => events.push(e));
    const stream = ": keep-alive\r\nevent: alert\r\nid: 7\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\ndata: plain\n\nevent: alert\n\n";
    for (const char of stream) parser.push(char);
    expect(events).toEqual([
      { type: "alert", data: '{"a":\n1}', id: "7" },
      { type: "message", data: "plain", id: "7" },
    ]);
    expect(parser.lastEventId()).toBe("7");
  });
});

describe("dashboard: alerts as shown", () => {
  it("reads the alert back end's view and the first API's {alert, publishedAt} alike", () => {
    const fromBackEnd = view.normaliseAlert({
      id: "a1",
      rule: "D2",
      severity: "critical",
      state: "acknowledged",
      institution: "H-1",
      raisedAt: "2026-11-24T00:00:00Z",
      subject: { masked: "1101**********002X" },
      billingLineIds: ["H-1/L1"],
      eventIds: ["e1"],
      explanation: { zh: "说明", en: "why" },
    });
    expect(fromBackEnd).toMatchObject({ id: "a1", rule: "D2", state: "acknowledged", institution: "H-1", patientMasked: "1101**********002X", billingLineIds: ["H-1/L1"] });
    const fromFirstApi = view.normaliseAlert({ alert: { id: "b2", kind: "impersonation_suspected", severity: "critical", site: "H-2", raisedAt: "x", subject: null, evidence: { eventIds: ["e9"], boxes: ["b"] }, summary: "s" }, publishedAt: null });
    expect(fromFirstApi).toMatchObject({ id: "b2", rule: "impersonation_suspected", state: "open", institution: "H-2", eventIds: ["e9"], patientMasked: null });
    const fromStream = view.normaliseAlert({ seq: 12, change: "state", alert: { id: "c3", rule: "D1", state: "confirmed", institution: "H-3", allowedActions: ["close"], eventIds: [] } });
    expect(fromStream).toMatchObject({ id: "c3", rule: "D1", state: "confirmed", institution: "H-3", allowedActions: ["close"] });
    expect(view.normaliseAlert(null)).toMatchObject({ id: "", state: "open", eventIds: [] });
  });

  it("masks any resident ID number in a text as the wire contract masks it, and leaves other numbers alone", () => {
    const raw = "11010519491231002X";
    expect(view.maskIdNumbers(`patient ${raw} billed`)).toBe(`patient ${maskIdNumber(raw)} billed`);
    expect(view.maskIdNumbers("110105491231001")).toBe(maskIdNumber("110105491231001"));
    expect(view.maskIdNumbers("line L000001, amount 40000, order 2026112400017")).toBe("line L000001, amount 40000, order 2026112400017");
    expect(view.maskIdNumbers("S11010519491231002X")).toBe("S11010519491231002X");
  });

  it("matches stream arrivals against the inbox filter, time bounds included", () => {
    const alert = view.normaliseAlert({ id: "a", rule: "D1", severity: "warning", state: "open", institution: "H-1", raisedAt: "2026-11-24T08:00:00Z" });
    expect(view.matchesFilter(alert, {})).toBe(true);
    expect(view.matchesFilter(alert, { site: "H-1", rule: "D1" })).toBe(true);
    expect(view.matchesFilter(alert, { site: "H-2" })).toBe(false);
    expect(view.matchesFilter(alert, { state: "closed" })).toBe(false);
    expect(view.matchesFilter(alert, { from: "2026-11-24T09:00:00Z" })).toBe(false);
    expect(view.matchesFilter(alert, { to: "2026-11-24T09:00:00Z" })).toBe(true);
  });

  it("offers the gateway's allowed actions when it lists them, else the lifecycle's", () => {
    expect(view.actionsFor(view.normaliseAlert({ state: "open" }))).toEqual(["acknowledge"]);
    expect(view.actionsFor(view.normaliseAlert({ state: "acknowledged" }))).toEqual(["confirm", "dismiss"]);
    expect(view.actionsFor(view.normaliseAlert({ state: "confirmed" }))).toEqual(["close"]);
    expect(view.actionsFor(view.normaliseAlert({ state: "auto_resolved" }))).toEqual([]);
    expect(view.actionsFor(view.normaliseAlert({ state: "open", allowedActions: ["close"] }))).toEqual(["close"]);
    expect(view.actionsFor(view.normaliseAlert({ state: "closed", allowedActions: [] }))).toEqual([]);
  });
});

describe("dashboard: two languages", () => {
  it("has every key in Chinese and English, and every rule name in both", () => {
    expect(Object.keys(i18n.MESSAGES.en).sort()).toEqual(Object.keys(i18n.MESSAGES.zh).sort());
    for (const [key, text] of Object.entries(i18n.MESSAGES.zh)) {
      expect(text.length, key).toBeGreaterThan(0);
      const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "").sort();
      expect(placeholders(i18n.MESSAGES.en[key] ?? ""), key).toEqual(placeholders(text));
    }
    for (const [rule, names] of Object.entries(i18n.RULE_NAMES)) expect(names.zh && names.en, rule).toBeTruthy();
  });

  it("speaks Chinese by default and English when switched, times in China Standard Time", () => {
    i18n.setLanguage("zh");
    expect(i18n.t("newAlertAnnounce", { rule: "D2", institution: "H-1" })).toBe("新告警：D2，H-1");
    expect(i18n.label("state", "confirmed")).toBe("已认定属实");
    expect(i18n.explanationText({ zh: "中文", en: "English" })).toBe("中文");
    expect(i18n.formatTime("2026-11-23T16:30:00Z")).toContain("00:30");
    i18n.setLanguage("en");
    expect(i18n.label("state", "confirmed")).toBe("confirmed");
    expect(i18n.explanationText({ zh: "中文", en: "English" })).toBe("English");
    expect(i18n.explanationText({ zh: "只有中文" })).toBe("只有中文");
    expect(i18n.label("state", "reopened")).toBe("reopened");
    i18n.setLanguage("xx");
    expect(i18n.t("logout")).toBe("Log out");
    i18n.setLanguage("zh");
  });
});

describe("dashboard: chart geometry", () => {
  it("plots shares from the bottom (0 %) to the top (100 %) and breaks the line at missing weeks", () => {
    const { points, segments } = chart.shareLineGeometry([0, 1, null, 0.5, 2]);
    expect(points[0]?.y).toBeGreaterThan(points[1]?.y ?? Infinity);
    expect(points[2]?.y).toBeNull();
    expect(points[4]?.y).toBe(points[1]?.y); // clamped to 100 %
    expect(segments.map((s) => s.length)).toEqual([2, 2]);
    expect(points.map((p) => p.x)).toEqual([...points.map((p) => p.x)].sort((a, b) => a - b));
  });

  it("sizes bars by the largest count and keeps a small non-zero count visible", () => {
    expect(chart.barGeometry([10, 5, 0, 0.01], 100)).toEqual([100, 50, 0, 2]);
    expect(chart.barGeometry([0, 0])).toEqual([0, 0]);
  });
});

describe("dashboard: fleet rows", () => {
  it("reads the outbox backlog from the box's health wherever the device view carries it, and says unknown otherwise", () => {
    const status = JSON.stringify({ state: "online", health: { reader: "ok", camera: "ok", outboxDepth: 17, oldestPendingAt: "2026-11-24T00:00:00Z" } });
    expect(fleet.fleetRow({ box: "b1", site: "H-1", state: "online", stateChangedAt: "2026-11-24T01:00:00Z", lastStatus: status })).toMatchObject({ backlog: 17, state: "online", lastSeen: "2026-11-24T01:00:00Z" });
    expect(fleet.fleetRow({ box: "b2", site: "H-1", health: { outboxDepth: 0 }, lastSeenAt: "2026-11-24T02:00:00Z" })).toMatchObject({ backlog: 0, lastSeen: "2026-11-24T02:00:00Z" });
    expect(fleet.fleetRow({ box: "b3", site: "H-1", state: null, lastStatus: "not json" })).toMatchObject({ backlog: null, state: null });
  });
});
