import { describe, expect, it } from "vitest";
import { SeededRandom } from "./seeded-random.js";

describe("SeededRandom", () => {
  const draws = (random: SeededRandom) => Array.from({ length: 20 }, () => random.int(0, 1_000_000));

  it("repeats its draws for the same seed and differs for another", () => {
    expect(draws(SeededRandom.fromSeed("a"))).toEqual(draws(SeededRandom.fromSeed("a")));
    expect(draws(SeededRandom.fromSeed("a"))).not.toEqual(draws(SeededRandom.fromSeed("b")));
  });

  it("gives forks that do not depend on how much the parent consumed", () => {
    const fresh = SeededRandom.fromSeed("a");
    const used = SeededRandom.fromSeed("a");
    draws(used);
    expect(draws(fresh.fork("box-1"))).toEqual(draws(used.fork("box-1")));
    expect(draws(fresh.fork("box-1"))).not.toEqual(draws(fresh.fork("box-2")));
  });

  it("keeps ints within bounds and weighted picks near their weights", () => {
    const random = SeededRandom.fromSeed("bounds");
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 10_000; i++) {
      const value = random.int(3, 5);
      expect(value >= 3 && value <= 5).toBe(true);
      counts[random.weighted({ a: 0.9, b: 0.1 })] += 1;
    }
    expect(counts.b).toBeGreaterThan(800);
    expect(counts.b).toBeLessThan(1200);
  });

  it("returns bytes of the requested length, and a shuffle is a permutation", () => {
    const random = SeededRandom.fromSeed("bytes");
    expect(random.bytes(16)).toHaveLength(16);
    expect(random.bytes(5)).toHaveLength(5);
    expect(random.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
