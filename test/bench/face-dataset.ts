import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { SeededRandom } from "../../simulator/fleet/seeded-random.js";

/**
 * The benchmark's pairs: from an LFW-format pairs list, or formed from a folder of faces grouped by
 * identity (one sub-folder per person, the LFW layout).
 *
 * LFW pairs format (Huang et al. 2007, View 2): a header `folds<TAB>n`, then per fold n matched lines
 * `name<TAB>i<TAB>j` and n mismatched lines `name1<TAB>i<TAB>name2<TAB>j`; image i of a person is
 * `name/name_%04d.jpg`. Without a list, every genuine pair of the folder is taken, with a seeded
 * sample of impostor pairs, and pairs are dealt into folds by the same seed.
 */
export interface BenchPair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
  readonly fold: number;
}

export interface PairPlan {
  readonly pairs: readonly BenchPair[];
  readonly folds: number;
  readonly source: string;
}

export class FaceDatasetError extends Error {
  constructor(
    readonly code: "no_dataset" | "bad_pairs_line" | "missing_image" | "too_few_identities",
    message: string,
  ) {
    super(message);
    this.name = "FaceDatasetError";
  }
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

/** identity → its image files (sorted), for every sub-folder holding at least one image. */
export function listIdentities(dataset: string): Map<string, string[]> {
  if (!existsSync(dataset) || !statSync(dataset).isDirectory()) throw new FaceDatasetError("no_dataset", `${dataset}: not a folder`);
  const identities = new Map<string, string[]>();
  for (const name of readdirSync(dataset).sort()) {
    const folder = join(dataset, name);
    if (!statSync(folder).isDirectory()) continue;
    const files = readdirSync(folder)
      .filter((f) => IMAGE.test(f))
      .sort()
      .map((f) => join(folder, f));
    if (files.length > 0) identities.set(name, files);
  }
  return identities;
}

export function lfwImagePath(dataset: string, name: string, index: string): string {
  return join(dataset, name, `${name}_${index.padStart(4, "0")}.jpg`);
}

/** Parses an LFW-format pairs list; every image it names must exist under `dataset`. */
export function readPairsList(text: string, dataset: string, source = "pairs list"): PairPlan {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = (lines[0] ?? "").trim().split(/\s+/).map(Number);
  const [folds, perHalf] = header;
  if (header.length !== 2 || folds === undefined || perHalf === undefined || !Number.isInteger(folds) || !Number.isInteger(perHalf) || folds < 1 || perHalf < 1) {
    throw new FaceDatasetError("bad_pairs_line", `${source} line 1: header "folds<TAB>pairs per half" expected, got "${lines[0] ?? ""}"`);
  }
  const body = lines.slice(1);
  if (body.length !== folds * perHalf * 2) {
    throw new FaceDatasetError("bad_pairs_line", `${source}: header promises ${folds} x ${2 * perHalf} pairs, found ${body.length} lines`);
  }
  const pairs = body.map((line, i): BenchPair => {
    const f = line.trim().split(/\t|\s+/);
    const fold = Math.floor(i / (2 * perHalf));
    const index = /^\d+$/;
    if (f.length === 3 && index.test(f[1] ?? "") && index.test(f[2] ?? "")) {
      const [name = "", p, q] = f;
      return { a: lfwImagePath(dataset, name, p ?? ""), b: lfwImagePath(dataset, name, q ?? ""), same: true, fold };
    }
    if (f.length === 4 && index.test(f[1] ?? "") && index.test(f[3] ?? "")) {
      const [n1 = "", p, n2 = "", q] = f;
      return { a: lfwImagePath(dataset, n1, p ?? ""), b: lfwImagePath(dataset, n2, q ?? ""), same: false, fold };
    }
    throw new FaceDatasetError("bad_pairs_line", `${source} line ${i + 2}: "name i j" or "name1 i name2 j" expected, got "${line}"`);
  });
  const missing = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new FaceDatasetError("missing_image", `${missing.length} image(s) named by ${source} are not in ${dataset}, e.g. ${missing.slice(0, 3).join(", ")}`);
  }
  return { pairs, folds, source };
}

export interface SampleOptions {
  readonly seed: string;
  /** Impostor pairs to draw (fewer if the folder cannot give that many distinct ones). */
  readonly impostors: number;
  readonly folds: number;
}

/** All genuine pairs of a folder grouped by identity, and a seeded sample of distinct impostor pairs. */
export function samplePairs(identities: ReadonlyMap<string, readonly string[]>, options: SampleOptions): PairPlan {
  const names = [...identities.keys()];
  if (names.length < 2) throw new FaceDatasetError("too_few_identities", `impostor pairs need two identities or more, found ${names.length}`);
  const random = SeededRandom.fromSeed(options.seed);
  const deal = random.fork("folds");
  const pairs: BenchPair[] = [];
  for (const files of identities.values()) {
    for (let i = 0; i < files.length; i++) {
      for (let j = i + 1; j < files.length; j++) pairs.push({ a: files[i] ?? "", b: files[j] ?? "", same: true, fold: deal.int(0, options.folds - 1) });
    }
  }
  const images = [...identities.entries()].flatMap(([name, files]) => files.map((file) => ({ name, file })));
  const possible = (images.length * (images.length - 1)) / 2 - pairs.length;
  const wanted = Math.min(options.impostors, possible);
  const draw = random.fork("impostors");
  const seen = new Set<string>();
  while (seen.size < wanted) {
    const x = draw.pick(images);
    const y = draw.pick(images);
    if (x.name === y.name) continue;
    const key = x.file < y.file ? `${x.file}\n${y.file}` : `${y.file}\n${x.file}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push({ a: x.file, b: y.file, same: false, fold: deal.int(0, options.folds - 1) });
  }
  return { pairs, folds: options.folds, source: `all genuine pairs and ${wanted} seeded impostor pairs (seed "${options.seed}")` };
}
