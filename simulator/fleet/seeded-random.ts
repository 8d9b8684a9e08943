import { createHash } from "node:crypto";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

/**
 * The simulator's only source of randomness. Each stream is seeded from SHA-256 of the run's seed and
 * a label, so a stream does not depend on how much another one consumed: adding a box, or one more
 * draw for a ward round, leaves every other box's traffic byte-identical.
 */
export class SeededRandom {
  private constructor(
    private readonly label: string,
    private readonly rng: RandomGenerator,
  ) {}

  static fromSeed(seed: string): SeededRandom {
    const digest = createHash("sha256").update(seed, "utf8").digest();
    const state = [0, 4, 8, 12].map((offset) => digest.readInt32BE(offset));
    // xoroshiro128+ must not start from the all-zero state; SHA-256 makes that a 2^-128 event, but be exact.
    if (!state.some((word) => word !== 0)) state[0] = 1;
    return new SeededRandom(seed, xoroshiro128plusFromState(state));
  }

  /** An independent stream named by `label` under this one's seed. */
  fork(label: string): SeededRandom {
    return SeededRandom.fromSeed(`${this.label}/${label}`);
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.rng, min, max);
  }

  /** Float in [0, 1). */
  float(): number {
    return uniformFloat64(this.rng);
  }

  /** Float in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** One key of `weights`, with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = this.float() * total;
    for (const [key, weight] of entries) {
      draw -= weight;
      if (draw < 0) return key;
    }
    const last = entries[entries.length - 1];
    if (last === undefined) throw new RangeError("weighted pick from no weights");
    return last[0];
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = this.rng.next();
      for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (word >>> (8 * k)) & 0xff;
    }
    return out;
  }

  hex(byteLength: number): string {
    return Buffer.from(this.bytes(byteLength)).toString("hex");
  }
}
