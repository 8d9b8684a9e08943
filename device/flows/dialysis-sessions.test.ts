import { describe, expect, it } from "vitest";
import { EMPTY_DIALYSIS_MEMORY, openSessionOf, recordCheck, repeatOf, takeOverdue } from "./dialysis-sessions.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const check = (ref: string, kind: "dialysis.check_in" | "dialysis.check_out", outcome: "verified" | "face_mismatch" | "card_only" | "attested", at: number, eventId = `ev-${at}`) => ({ ref, kind, outcome, at, eventId, masked: "1101**********1234" });

describe("dialysis sessions", () => {
  it("opens a session only on a completed check-in and closes it on a completed check-out", () => {
    const failed = recordCheck(EMPTY_DIALYSIS_MEMORY, check(A, "dialysis.check_in", "face_mismatch", 0), 120);
    expect(openSessionOf(failed, A)).toBeUndefined();
    const open = recordCheck(failed, check(A, "dialysis.check_in", "card_only", 10, "ev-in"), 120);
    expect(openSessionOf(open, A)).toMatchObject({ checkInId: "ev-in", at: 10, overdueReported: false });
    const stillOpen = recordCheck(open, check(A, "dialysis.check_out", "face_mismatch", 20), 120);
    expect(openSessionOf(stillOpen, A)?.checkInId).toBe("ev-in");
    const closed = recordCheck(stillOpen, check(A, "dialysis.check_out", "attested", 30), 120);
    expect(openSessionOf(closed, A)).toBeUndefined();
  });

  it("repeats only a completed check, only within the window, and only for the same person", () => {
    const memory = recordCheck(EMPTY_DIALYSIS_MEMORY, check(A, "dialysis.check_in", "verified", 1000), 120);
    expect(repeatOf(memory, A, 1000 + 119_999, 120)).toMatchObject({ outcome: "verified" });
    expect(repeatOf(memory, A, 1000 + 120_000, 120)).toBeUndefined();
    expect(repeatOf(memory, B, 2000, 120)).toBeUndefined();
    expect(repeatOf(memory, A, 2000, 0)).toBeUndefined();
    const failed = recordCheck(EMPTY_DIALYSIS_MEMORY, check(B, "dialysis.check_in", "face_mismatch", 1000), 120);
    expect(repeatOf(failed, B, 1001, 120)).toBeUndefined();
  });

  it("forgets recent checks older than the window, and keeps one entry per person", () => {
    let memory = EMPTY_DIALYSIS_MEMORY;
    for (let i = 0; i < 5; i++) memory = recordCheck(memory, check(A, "dialysis.check_in", "face_mismatch", i * 1000), 120);
    memory = recordCheck(memory, check(B, "dialysis.check_in", "face_mismatch", 500_000), 120);
    expect(memory.recent.map((r) => r.ref)).toEqual([B]);
  });

  it("reports each overdue session once and leaves the others alone", () => {
    let memory = recordCheck(EMPTY_DIALYSIS_MEMORY, check(A, "dialysis.check_in", "verified", 0, "ev-a"), 120);
    memory = recordCheck(memory, check(B, "dialysis.check_in", "verified", 60 * 60_000, "ev-b"), 120);
    const first = takeOverdue(memory, 301 * 60_000, 300);
    expect(first.overdue.map((s) => s.checkInId)).toEqual(["ev-a"]);
    expect(takeOverdue(first.memory, 302 * 60_000, 300).overdue).toEqual([]);
    expect(takeOverdue(first.memory, 361 * 60_000, 300).overdue.map((s) => s.checkInId)).toEqual(["ev-b"]);
  });
});
