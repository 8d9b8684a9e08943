import type { Outcome } from "../../protocol/index.js";

/**
 * A dialysis station's memory between taps: which patients are checked in (their check-in event id,
 * so the check-out can name it), and the last completed check per patient (so a second tap within
 * the repeat window is the same check, not another one). Pure data; the agent persists it so a
 * restart does not turn a check-out into a second check-in.
 */
export interface OpenSession {
  readonly ref: string;
  readonly masked: string;
  readonly checkInId: string;
  readonly at: number;
  /** Set once the box has reported that no check-out came within the maximum duration. */
  readonly overdueReported: boolean;
}

export interface RecentCheck {
  readonly ref: string;
  readonly kind: "dialysis.check_in" | "dialysis.check_out";
  readonly outcome: Outcome;
  readonly at: number;
}

export interface DialysisMemory {
  readonly open: readonly OpenSession[];
  readonly recent: readonly RecentCheck[];
}

export const EMPTY_DIALYSIS_MEMORY: DialysisMemory = { open: [], recent: [] };

/**
 * Outcomes that complete a check: a session opens (or closes) only on these. A failed check (face
 * mismatch, spoof, no face) is recorded, but the patient may try again at once and the retry is a
 * new check of the same kind; only a completed check makes later taps within the window repeats.
 */
export const COMPLETING_OUTCOMES: readonly Outcome[] = ["verified", "attested", "card_only"];

export function openSessionOf(memory: DialysisMemory, ref: string): OpenSession | undefined {
  return memory.open.find((s) => s.ref === ref);
}

/** The completed check of this patient within the window, if any: a tap now repeats it. */
export function repeatOf(memory: DialysisMemory, ref: string, now: number, windowS: number): RecentCheck | undefined {
  return memory.recent.find((r) => r.ref === ref && now - r.at < windowS * 1000 && COMPLETING_OUTCOMES.includes(r.outcome));
}

/** Applies a recorded check: a completed check-in opens a session, a completed check-out closes it. */
export function recordCheck(memory: DialysisMemory, check: RecentCheck & { readonly eventId: string; readonly masked: string }, windowS: number): DialysisMemory {
  const recent = [...memory.recent.filter((r) => r.ref !== check.ref && check.at - r.at < windowS * 1000), { ref: check.ref, kind: check.kind, outcome: check.outcome, at: check.at }];
  if (!COMPLETING_OUTCOMES.includes(check.outcome)) return { open: memory.open, recent };
  const others = memory.open.filter((s) => s.ref !== check.ref);
  if (check.kind === "dialysis.check_out") return { open: others, recent };
  return { open: [...others, { ref: check.ref, masked: check.masked, checkInId: check.eventId, at: check.at, overdueReported: false }], recent };
}

/** Sessions past the maximum duration not yet reported; returns them and the memory marking them reported. */
export function takeOverdue(memory: DialysisMemory, now: number, maxMinutes: number): { memory: DialysisMemory; overdue: readonly OpenSession[] } {
  const overdue = memory.open.filter((s) => !s.overdueReported && now - s.at > maxMinutes * 60_000);
  if (overdue.length === 0) return { memory, overdue };
  return { memory: { ...memory, open: memory.open.map((s) => (overdue.includes(s) ? { ...s, overdueReported: true } : s)) }, overdue };
}
