import { ACK_RESULTS, EVENT_KINDS, OUTCOMES, type EventKind, type Outcome, type QuarantineReason } from "../../protocol/index.js";
import type { AckResult } from "./box-outbox.js";
import type { RegistrationReport } from "./device-registration.js";
import { DEFECT_REASONS, type DefectReason } from "./hostile-messages.js";
import type { PlannedMessage } from "./traffic-plan.js";

/**
 * The ground truth of a run next to what the gateway answered: what was planned, what was published,
 * how it was acked, and where the gateway's answer differs from the label a message was planned with.
 */

export interface PlannedCounts {
  readonly valid: number;
  readonly validByKind: Readonly<Record<EventKind, number>>;
  readonly validByOutcome: Readonly<Record<Outcome, number>>;
  readonly defects: number;
  readonly defectsByReason: Readonly<Record<DefectReason, number>>;
}

/** A gateway answer that differs from the plan's label. */
export interface SimulationMismatch {
  readonly id: string;
  readonly box: string;
  /** `stored` for a valid event (duplicate also counts as right), else the quarantine reason planned. */
  readonly expected: "stored" | DefectReason;
  /** The ack's result, with the reason for a quarantine: `quarantined:wrong_key`. */
  readonly got: string;
}

export interface SimulationSummary {
  readonly seed: string;
  readonly endAt: string;
  readonly days: number;
  readonly sites: number;
  readonly boxes: number;
  readonly connections: number;
  readonly planned: PlannedCounts;
  readonly registration: RegistrationReport;
  readonly published: {
    /** Every publication, first sends and re-publications alike. */
    readonly publications: number;
    readonly republications: number;
    readonly defectsSent: number;
    /** Hostile messages never sent because the event they copy was never acked. */
    readonly defectsHeld: number;
    readonly publishErrors: number;
  };
  readonly acks: {
    /** First ack of each valid event, by result. */
    readonly valid: Readonly<Record<AckResult, number>>;
    /** First ack of each hostile message, by result. */
    readonly defects: Readonly<Record<AckResult, number>>;
    readonly defectsByReason: Readonly<Partial<Record<QuarantineReason, number>>>;
    /** Acks for something already acked (after a re-publication). */
    readonly repeated: number;
    /** Acks naming a real event's id with another payload's hash: ignored, as a box must. */
    readonly wrongHash: number;
    readonly unmatched: number;
    readonly invalidAckMessages: number;
  };
  /** Hostile messages the gateway could have acked but did not before the run ended. */
  readonly defectsUnacked: number;
  readonly mismatches: readonly SimulationMismatch[];
  /** Ids of valid events never acked: empty when the run is complete. */
  readonly unacked: readonly string[];
  readonly stoppedBy: "complete" | "deadline" | "aborted";
  readonly elapsedMs: number;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

export function emptyAckCounts(): Record<AckResult, number> {
  return zeroes(ACK_RESULTS);
}

export function plannedCounts(plan: readonly PlannedMessage[]): PlannedCounts {
  const validByKind = zeroes(EVENT_KINDS);
  const validByOutcome = zeroes(OUTCOMES);
  const defectsByReason = zeroes(DEFECT_REASONS);
  let valid = 0;
  let defects = 0;
  for (const { truth } of plan) {
    if (truth.type === "valid") {
      valid += 1;
      validByKind[truth.kind] += 1;
      validByOutcome[truth.outcome] += 1;
    } else {
      defects += 1;
      defectsByReason[truth.reason] += 1;
    }
  }
  return { valid, validByKind, validByOutcome, defects, defectsByReason };
}

function table(rows: readonly (readonly [string, string | number])[], indent = "  "): string[] {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${String(value).padStart(8)}`);
}

const nonZero = (counts: Readonly<Record<string, number>>): [string, number][] => Object.entries(counts).filter(([, n]) => n > 0);

/** The summary as text for a person: one block per question, numbers right-aligned. */
export function formatSimulationSummary(summary: SimulationSummary): string {
  const { planned, published, acks, registration } = summary;
  const verdict =
    summary.stoppedBy === "complete"
      ? `complete: all ${planned.valid} valid events acked`
      : `${summary.stoppedBy === "deadline" ? "deadline reached" : "aborted"}: ${summary.unacked.length} of ${planned.valid} valid events unacked`;
  const lines = [
    `Fleet simulation (seed ${JSON.stringify(summary.seed)}, ${summary.days} days to ${summary.endAt}): ${verdict} in ${(summary.elapsedMs / 1000).toFixed(1)} s`,
    `  ${summary.sites} sites, ${summary.boxes} boxes on ${summary.connections} MQTT connections`,
    "",
    "Registration",
    ...(registration.skipped
      ? ["  skipped"]
      : table([
          ["created", registration.created],
          ["unchanged", registration.unchanged],
          ["conflict (other key)", registration.conflicts.length],
          ["failed", registration.failures.length],
        ])),
    ...registration.conflicts.slice(0, 5).map((c) => `    conflict ${c.box}: ${c.detail}`),
    "",
    `Planned valid events: ${planned.valid}`,
    ...table(nonZero(planned.validByKind)),
    ...table(nonZero(planned.validByOutcome).map(([outcome, n]) => [`outcome ${outcome}`, n] as const)),
    "",
    `Planned hostile messages: ${planned.defects}`,
    ...table(nonZero(planned.defectsByReason)),
    "",
    "Published",
    ...table([
      ["publications", published.publications],
      ["re-publications", published.republications],
      ["hostile sent", published.defectsSent],
      ["hostile held back", published.defectsHeld],
      ["publish errors", published.publishErrors],
    ]),
    "",
    "Acks (first per message)",
    ...table([
      ["valid stored", acks.valid.stored],
      ["valid duplicate", acks.valid.duplicate],
      ["valid quarantined", acks.valid.quarantined],
      ["hostile quarantined", acks.defects.quarantined],
      ["hostile stored (!)", acks.defects.stored + acks.defects.duplicate],
      ["hostile not acked yet", summary.defectsUnacked],
      ["repeated acks", acks.repeated],
      ["wrong-hash acks ignored", acks.wrongHash],
      ["unmatched acks", acks.unmatched],
      ["invalid ack messages", acks.invalidAckMessages],
    ]),
    "",
    `Answers differing from the plan: ${summary.mismatches.length}`,
    ...summary.mismatches.slice(0, 10).map((m) => `  ${m.box} ${m.id}: expected ${m.expected}, got ${m.got}`),
  ];
  if (summary.unacked.length > 0) {
    lines.push("", `Unacked valid events: ${summary.unacked.length}`, ...summary.unacked.slice(0, 10).map((id) => `  ${id}`));
  }
  return lines.join("\n");
}
