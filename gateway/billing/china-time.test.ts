import { describe, expect, it } from "vitest";
import { addDays, chinaDateOf, daysBetween, parseBillingDate, parseBillingTime } from "./china-time.js";

describe("billing times", () => {
  it("reads a time without offset as China Standard Time", () => {
    expect(parseBillingTime("2026-11-24 07:30")).toBe(Date.parse("2026-11-23T23:30:00Z"));
    expect(parseBillingTime("2026-11-24 07:30:15")).toBe(Date.parse("2026-11-23T23:30:15Z"));
    expect(parseBillingTime("2026/11/24 07:30")).toBe(Date.parse("2026-11-23T23:30:00Z"));
  });

  it("honours an explicit offset or Z", () => {
    expect(parseBillingTime("2026-11-24T07:30:00Z")).toBe(Date.parse("2026-11-24T07:30:00Z"));
    expect(parseBillingTime("2026-11-24T07:30:00+09:00")).toBe(Date.parse("2026-11-23T22:30:00Z"));
    expect(parseBillingTime("2026-11-24 07:30-0500")).toBe(Date.parse("2026-11-24T12:30:00Z"));
  });

  it("refuses impossible or malformed times", () => {
    for (const bad of ["2026-02-30 07:30", "2026-11-24 24:00", "2026-11-24", "yesterday", "2026-11-24 07:30+25:00", ""]) {
      expect(parseBillingTime(bad), bad).toBeNull();
    }
  });

  it("cuts dates in China Standard Time", () => {
    expect(parseBillingDate("2026-11-24")).toBe("2026-11-24");
    expect(parseBillingDate("2026-11-24 23:59:59")).toBe("2026-11-24");
    expect(parseBillingDate("2026-11-24T16:30:00Z")).toBe("2026-11-25");
    expect(parseBillingDate("2026-13-01")).toBeNull();
    expect(chinaDateOf(Date.parse("2026-11-24T15:59:59Z"))).toBe("2026-11-24");
    expect(chinaDateOf(Date.parse("2026-11-24T16:00:00Z"))).toBe("2026-11-25");
    expect(daysBetween("2026-11-28", "2026-12-02")).toBe(4);
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
  });
});
