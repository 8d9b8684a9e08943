import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { z } from "zod";
import { OUTCOMES } from "../../protocol/index.js";
import { EMPTY_DIALYSIS_MEMORY, type DialysisMemory } from "../flows/dialysis-sessions.js";

/**
 * The dialysis station's open sessions and recent checks, kept across restarts so a check-out after
 * a power cut still names its check-in. Written atomically (temporary file, fsync, rename); a file
 * that does not parse is reported and replaced by an empty memory rather than stopping the box.
 */
const Memory = z.strictObject({
  open: z.array(z.strictObject({ ref: z.string(), masked: z.string(), checkInId: z.string(), at: z.number(), overdueReported: z.boolean() })),
  recent: z.array(z.strictObject({ ref: z.string(), kind: z.enum(["dialysis.check_in", "dialysis.check_out"]), outcome: z.enum(OUTCOMES), at: z.number() })),
});

export function readDialysisMemory(path: string): { memory: DialysisMemory; problem: string | null } {
  if (!existsSync(path)) return { memory: EMPTY_DIALYSIS_MEMORY, problem: null };
  try {
    return { memory: Memory.parse(JSON.parse(readFileSync(path, "utf8"))), problem: null };
  } catch (error) {
    return { memory: EMPTY_DIALYSIS_MEMORY, problem: `${path} unreadable, starting empty: ${(error as Error).message.slice(0, 120)}` };
  }
}

export function writeDialysisMemory(path: string, memory: DialysisMemory): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(memory));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
