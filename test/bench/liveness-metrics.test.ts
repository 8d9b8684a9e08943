import { describe, expect, it } from "vitest";
import { chooseThreshold, fires, percentile, rate, splitIdentities } from "./liveness-metrics.js";

describe("liveness bench metrics", () => {
  it("splits identities into two disjoint halves, the same whatever the order", () => {
    const names = Array.from({ length: 200 }, (_, i) => `Person_${String(i)}`);
    const { calibration, report } = splitIdentities(names);
    expect(calibration.length + report.length).toBe(200);
    expect(calibration.filter((n) => report.includes(n))).toEqual([]);
    expect(calibration.length).toBeGreaterThan(70);
    expect(report.length).toBeGreaterThan(70);
    expect(splitIdentities([...names].reverse()).calibration.sort()).toEqual([...calibration].sort());
  });

  it("chooses the most sensitive threshold within the live-rejection budget", () => {
    const live = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
    // Budget 10 % of 10 values: exactly one live value may fire.
    const high = chooseThreshold(live, "higher_is_attack", 0.1);
    expect(live.filter((v) => fires(v, high, "higher_is_attack"))).toEqual([1.0]);
    const low = chooseThreshold(live, "lower_is_attack", 0.1);
    expect(live.filter((v) => fires(v, low, "lower_is_attack"))).toEqual([0.1]);
    // Budget 0: nothing live fires.
    expect(live.filter((v) => fires(v, chooseThreshold(live, "higher_is_attack", 0), "higher_is_attack"))).toEqual([]);
    expect(live.filter((v) => fires(v, chooseThreshold(live, "lower_is_attack", 0), "lower_is_attack"))).toEqual([]);
  });

  it("ignores unjudged values, and refuses to choose on none", () => {
    expect(chooseThreshold([null, 0.5, null], "lower_is_attack", 0)).toBe(0.5);
    expect(fires(null, 0.5, "lower_is_attack")).toBe(false);
    expect(() => chooseThreshold([null], "higher_is_attack", 0.1)).toThrow(RangeError);
  });

  it("gives rates with their counts, and nearest-rank percentiles", () => {
    expect(rate(3, 4)).toEqual({ count: 3, total: 4, rate: 0.75 });
    expect(rate(0, 0).rate).toBeNull();
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});
