import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { z } from "zod";
import { PersonRef } from "../../protocol/identifiers.js";

/**
 * The institution's watch list as the gateway last pushed it (command watch_list_update), kept
 * beside the box configuration so it survives restarts: cards (pseudonymous refs only) that require
 * a staff check whatever the face score, and faces (the person refs of enrolled templates) that
 * require one whatever the card. Written whole, atomically (temp file, fsync, rename). A file from
 * before faces were listed (no `faceRefs`) reads as cards only.
 */
const WatchListDocument = z.strictObject({
  commandId: z.string(),
  updatedAt: z.string(),
  cardRefs: z.array(PersonRef),
  faceRefs: z.array(z.string().min(1).max(80)).default([]),
});

export interface WatchListContent {
  readonly cardRefs: readonly string[];
  readonly faceRefs: readonly string[];
}

export class WatchListFile {
  private cards: ReadonlySet<string>;
  private faces: readonly string[];

  constructor(private readonly path: string) {
    const content = WatchListFile.read(path);
    this.cards = new Set(content.cardRefs);
    this.faces = content.faceRefs;
  }

  /** A damaged file is an empty list, never a crash; the next push rewrites it. */
  static read(path: string): WatchListContent {
    if (!existsSync(path)) return { cardRefs: [], faceRefs: [] };
    const parsed = WatchListDocument.safeParse(safeJson(readFileSync(path, "utf8")));
    return parsed.success ? parsed.data : { cardRefs: [], faceRefs: [] };
  }

  has(ref: string): boolean {
    return this.cards.has(ref);
  }

  /** The watched faces, as the person refs of their enrolled templates. */
  get faceRefs(): readonly string[] {
    return this.faces;
  }

  get size(): number {
    return this.cards.size;
  }

  replace(content: WatchListContent, commandId: string, at: number): void {
    const cardRefs = [...new Set(content.cardRefs)].sort();
    const faceRefs = [...new Set(content.faceRefs)].sort();
    const body = JSON.stringify({ commandId, updatedAt: new Date(at).toISOString(), cardRefs, faceRefs }, null, 2);
    const temp = `${this.path}.tmp`;
    const fd = openSync(temp, "w", 0o600);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    this.cards = new Set(cardRefs);
    this.faces = faceRefs;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
