/**
 * What truly happened in a scenario, step by step, and how the box's events compare with it. The
 * truth follows from the scenario alone (whose card, whose face, which fault); `recorded` is what
 * the box wrote to its outbox during the step, and scoring looks those events up at the gateway.
 */
export type TruthKind =
  | "genuine"
  | "impersonation"
  | "presentation_attack"
  | "nobody_at_camera"
  | "attestation"
  | "enrolment"
  | "patient_absent"
  | "fault";

/** What a correct box records for the step. */
export type ExpectedOutcome = "verified" | "rejected" | "absent" | "attested" | "card_only" | "enrolled" | "no_event";

export interface RecordedEvent {
  readonly id: string;
  readonly seq: number;
  readonly kind: string;
  readonly outcome: string;
}

export interface TruthEntry {
  /** Index in the scenario's timeline. */
  readonly step: number;
  /** Simulated time of the step (RFC 3339). */
  readonly at: string;
  readonly box: string;
  readonly what: TruthKind;
  /** The step's action (check, attest, round bed, fault). */
  readonly action: string;
  /** Whose card was used, and who truly stood at the camera or lay in the bed. */
  readonly cardOf: string | null;
  readonly truePerson: string | null;
  /** Pseudonymous ref of the card's holder (or the bed's occupant), as events carry it. */
  readonly subjectRef: string | null;
  readonly bed: string | null;
  /** What made the step unusual: "box offline", "camera stopped", "reader unplugged". */
  readonly conditions: readonly string[];
  readonly expected: ExpectedOutcome;
  readonly recorded: RecordedEvent[];
  readonly note: string | null;
}

export interface StoredEventView {
  readonly id: string;
  readonly box: string;
  readonly kind: string;
  readonly outcome: string;
  readonly subjectRef: string | null;
}

export type Verdict = "agrees" | "false_accept" | "false_reject" | "face_not_checked" | "missing" | "not_stored" | "unexpected_event" | "wrong_subject";

export interface ScoredEntry {
  readonly step: number;
  readonly box: string;
  readonly what: TruthKind;
  readonly expected: ExpectedOutcome;
  readonly outcome: string | null;
  readonly stored: boolean;
  readonly verdict: Verdict;
}

export interface TruthScore {
  readonly entries: readonly ScoredEntry[];
  readonly counts: Readonly<Record<Verdict, number>>;
  /** Events stored for the scenario's boxes that no step recorded. */
  readonly strayEvents: number;
}

function verdictOf(entry: TruthEntry, stored: StoredEventView | undefined): Verdict {
  const event = entry.recorded[0];
  if (entry.expected === "no_event") return event === undefined ? "agrees" : "unexpected_event";
  if (event === undefined) return "missing";
  if (stored === undefined) return "not_stored";
  if (entry.subjectRef !== null && stored.subjectRef !== null && stored.subjectRef !== entry.subjectRef) return "wrong_subject";
  const outcome = stored.outcome;
  switch (entry.expected) {
    case "verified":
      if (outcome === "verified") return "agrees";
      return outcome === "card_only" ? "face_not_checked" : "false_reject";
    case "rejected":
      if (outcome === "verified") return "false_accept";
      return outcome === "card_only" ? "face_not_checked" : "agrees";
    default:
      return outcome === entry.expected ? "agrees" : outcome === "verified" ? "false_accept" : "false_reject";
  }
}

/** Scores the truth against the events the gateway stored for the scenario's boxes. */
export function scoreTruth(truth: readonly TruthEntry[], stored: readonly StoredEventView[]): TruthScore {
  const byId = new Map(stored.map((e) => [e.id, e]));
  const entries = truth.map((entry): ScoredEntry => {
    const event = entry.recorded[0];
    const found = event === undefined ? undefined : byId.get(event.id);
    return { step: entry.step, box: entry.box, what: entry.what, expected: entry.expected, outcome: found?.outcome ?? event?.outcome ?? null, stored: found !== undefined, verdict: verdictOf(entry, found) };
  });
  const counts: Record<Verdict, number> = { agrees: 0, false_accept: 0, false_reject: 0, face_not_checked: 0, missing: 0, not_stored: 0, unexpected_event: 0, wrong_subject: 0 };
  for (const entry of entries) counts[entry.verdict]++;
  const claimed = new Set(truth.flatMap((t) => t.recorded.map((r) => r.id)));
  return { entries, counts, strayEvents: stored.filter((e) => !claimed.has(e.id)).length };
}

/** One line per step (times in China time, UTC+8), for people. */
export function formatTruth(truth: readonly TruthEntry[], score?: TruthScore): string {
  const lines = truth.map((t, i) => {
    const recorded = t.recorded.map((r) => `${r.kind} ${r.outcome} #${r.seq}`).join(", ") || "no event";
    const scored = score?.entries[i];
    const verdict = scored === undefined ? "" : `  [${scored.verdict}${scored.stored || t.recorded.length === 0 ? "" : ", not at gateway"}]`;
    const conditions = t.conditions.length === 0 ? "" : ` (${t.conditions.join(", ")})`;
    const who = t.what === "fault" ? t.action : t.what === "enrolment" ? `enrolment of ${t.cardOf ?? "-"}, ${t.action}` : `${t.what}: card ${t.cardOf ?? "-"}, truly ${t.truePerson ?? "nobody"}${t.bed === null ? "" : `, bed ${t.bed}`}`;
    return `${chinaTime(t.at)} ${t.box.padEnd(12)} ${who}${conditions} → expected ${t.expected}; box recorded ${recorded}${verdict}`;
  });
  if (score !== undefined) {
    const counts = Object.entries(score.counts)
      .filter(([, n]) => n > 0)
      .map(([verdict, n]) => `${verdict} ${n}`)
      .join(", ");
    lines.push(`score: ${counts}; stray events ${score.strayEvents}`);
  }
  return lines.join("\n");
}

/** `YYYY-MM-DD HH:MM` in China time (UTC+8), as the institution lives the scenario. */
function chinaTime(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");
}
