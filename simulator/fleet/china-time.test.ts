import { describe, expect, it } from "vitest";
import { chinaDayStart, chinaHourOfDay, chinaTimestamp, chinaWeekday } from "./china-time.js";

describe("China time", () => {
  const at = Date.parse("2026-11-23T23:30:00Z"); // Tuesday 24 Nov, 07:30 in Beijing

  it("formats with the +08:00 offset", () => {
    expect(chinaTimestamp(at)).toBe("2026-11-24T07:30:00.000+08:00");
    expect(Date.parse(chinaTimestamp(at))).toBe(at);
  });

  it("finds the China day, weekday and hour, not the UTC ones", () => {
    expect(chinaDayStart(at)).toBe(Date.parse("2026-11-24T00:00:00+08:00"));
    expect(chinaWeekday(at)).toBe(2);
    expect(chinaHourOfDay(at)).toBe(7.5);
  });
});
