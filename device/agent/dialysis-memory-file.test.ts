import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EMPTY_DIALYSIS_MEMORY } from "../flows/dialysis-sessions.js";
import { readDialysisMemory, writeDialysisMemory } from "./dialysis-memory-file.js";

const dir = mkdtempSync(join(tmpdir(), "cw-dialysis-memory-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("dialysis memory file", () => {
  it("round-trips open sessions and recent checks, mode 0600", () => {
    const path = join(dir, "memory.json");
    const memory = {
      open: [{ ref: "a".repeat(64), masked: "1101**********1234", checkInId: "0190c2a4-5d7e-7000-8000-000000000001", at: 5, overdueReported: false }],
      recent: [{ ref: "a".repeat(64), kind: "dialysis.check_in" as const, outcome: "verified" as const, at: 5 }],
    };
    expect(readDialysisMemory(path)).toEqual({ memory: EMPTY_DIALYSIS_MEMORY, problem: null });
    writeDialysisMemory(path, memory);
    expect(readDialysisMemory(path)).toEqual({ memory, problem: null });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("starts empty with the problem named when the file is damaged, rather than stopping the box", () => {
    const path = join(dir, "damaged.json");
    writeFileSync(path, '{"open": [{"ref": 1}]');
    const read = readDialysisMemory(path);
    expect(read.memory).toEqual(EMPTY_DIALYSIS_MEMORY);
    expect(read.problem).toContain("damaged.json unreadable");
  });
});
