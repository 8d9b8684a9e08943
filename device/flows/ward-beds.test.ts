import { describe, expect, it } from "vitest";
import { isNight, parseBedCode } from "./ward-beds.js";

describe("ward beds", () => {
  it("parses a scanned bed code and refuses anything else", () => {
    expect(parseBedCode("5B/12")).toEqual({ ward: "5B", bed: "12" });
    expect(parseBedCode(" BED:ICU-2/03 ")).toEqual({ ward: "ICU-2", bed: "03" });
    for (const bad of ["", "5B", "5B/", "/12", "5B/12/3", "5B /12", "x".repeat(65) + "/1"]) expect(parseBedCode(bad)).toBeNull();
  });

  it("tells night from day in local time, across midnight and not", () => {
    const at = (hhmm: string): number => Date.UTC(2026, 0, 1, Number(hhmm.slice(0, 2)) - 8, Number(hhmm.slice(3))); // China time
    const night = { from: "21:00", to: "06:00" };
    expect([at("20:59"), at("21:00"), at("23:59"), at("05:59"), at("06:00")].map((t) => isNight(t, night, 480))).toEqual([false, true, true, true, false]);
    const afternoon = { from: "13:00", to: "14:00" };
    expect([at("12:59"), at("13:30"), at("14:00")].map((t) => isNight(t, afternoon, 480))).toEqual([false, true, false]);
  });
});
