import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FaceDatasetError, listIdentities, readPairsList, samplePairs } from "./face-dataset.js";

const dir = mkdtempSync(join(tmpdir(), "cw-face-dataset-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A folder in LFW layout: Ann has 3 photos, Bob 2, Cy 1 (file contents do not matter here). */
for (const [name, count] of [["Ann", 3], ["Bob", 2], ["Cy", 1]] as const) {
  mkdirSync(join(dir, name));
  for (let i = 1; i <= count; i++) writeFileSync(join(dir, name, `${name}_${String(i).padStart(4, "0")}.jpg`), "x");
}
writeFileSync(join(dir, "notes.txt"), "not an identity");

describe("benchmark pairs", () => {
  it("reads an LFW pairs list into folds, matched and mismatched", () => {
    const plan = readPairsList("2\t1\nAnn\t1\t2\nAnn\t1\tBob\t2\nBob\t1\t2\nCy\t1\tAnn\t3\n", dir);
    expect(plan.folds).toBe(2);
    expect(plan.pairs.map((p) => [basename(p.a), basename(p.b), p.same, p.fold])).toEqual([
      ["Ann_0001.jpg", "Ann_0002.jpg", true, 0],
      ["Ann_0001.jpg", "Bob_0002.jpg", false, 0],
      ["Bob_0001.jpg", "Bob_0002.jpg", true, 1],
      ["Cy_0001.jpg", "Ann_0003.jpg", false, 1],
    ]);
  });

  it("says which line of a pairs list is malformed, and refuses images that are not there", () => {
    expect(() => readPairsList("1\t1\nAnn\t1\nAnn\t1\tBob\t1\n", dir)).toThrow(/line 2/);
    expect(() => readPairsList("1\t2\nAnn\t1\t2\n", dir)).toThrow(/promises 1 x 4 pairs, found 1/);
    expect(() => readPairsList("1\t1\nAnn\t1\t9\nAnn\t1\tBob\t1\n", dir)).toThrow(expect.objectContaining({ code: "missing_image" }) as Error);
  });

  it("lists identities from sub-folders only", () => {
    const identities = listIdentities(dir);
    expect([...identities.keys()]).toEqual(["Ann", "Bob", "Cy"]);
    expect(identities.get("Ann")?.map((f) => basename(dirname(f)))).toEqual(["Ann", "Ann", "Ann"]);
    expect(() => listIdentities(join(dir, "absent"))).toThrow(FaceDatasetError);
  });

  it("without a list, takes every genuine pair and the same seeded impostor pairs each time", () => {
    const identities = listIdentities(dir);
    const plan = samplePairs(identities, { seed: "bench", impostors: 6, folds: 3 });
    const genuine = plan.pairs.filter((p) => p.same);
    const impostor = plan.pairs.filter((p) => !p.same);
    expect(genuine).toHaveLength(3 + 1); // Ann: 3 pairs, Bob: 1
    expect(impostor).toHaveLength(6);
    expect(impostor.every((p) => basename(dirname(p.a)) !== basename(dirname(p.b)))).toBe(true);
    expect(new Set(impostor.map((p) => [p.a, p.b].sort().join("|"))).size).toBe(6);
    expect(plan.pairs.every((p) => p.fold >= 0 && p.fold < 3)).toBe(true);
    expect(samplePairs(identities, { seed: "bench", impostors: 6, folds: 3 }).pairs).toEqual(plan.pairs);
  });

  it("draws no more impostor pairs than the folder holds", () => {
    // 6 images: 15 pairs, 4 of them genuine, so 11 impostor pairs at most.
    expect(samplePairs(listIdentities(dir), { seed: "s", impostors: 1000, folds: 2 }).pairs.filter((p) => !p.same)).toHaveLength(11);
  });
});
