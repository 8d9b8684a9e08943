import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { z } from "zod";
import { PersonRef } from "../../protocol/identifiers.js";

/**
 * The institution's watch list as the gateway last pushed it (command watch_list_update), kept
 * beside the box configuration so it survives restarts: cards (pseudonymous refs only) that require
 * a staff check whatever the face score. Written whole, atomically (temp file, fsync, rename).
 */
const WatchListDocument = z.strictObject({
  commandId: z.string(),
  updatedAt: z.string(),
  cardRefs: z.array(PersonRef),
});

export class WatchListFile {
  private refs: ReadonlySet<string>;

  constructor(private readonly path: string) {
    this.refs = new Set(WatchListFile.read(path));
  }

  /** A damaged file is an empty list plus the reason, never a crash; the next push rewrites it. */
  static read(path: string): string[] {
    if (!existsSync(path)) return [];
    const parsed = WatchListDocument.safeParse(safeJson(readFileSync(path, "utf8")));
    return parsed.success ? parsed.data.cardRefs : [];
  }

  has(ref: string): boolean {
    return this.refs.has(ref);
  }

  get size(): number {
    return this.refs.size;
  }

  replace(cardRefs: readonly string[], commandId: string, at: number): void {
    const body = JSON.stringify({ commandId, updatedAt: new Date(at).toISOString(), cardRefs: [...new Set(cardRefs)].sort() }, null, 2);
    const temp = `${this.path}.tmp`;
    const fd = openSync(temp, "w", 0o600);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    this.refs = new Set(cardRefs);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
