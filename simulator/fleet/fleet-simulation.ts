import { z } from "zod";
import type { AckEntry, AckMessage, QuarantineReason } from "../../protocol/index.js";
import { SimulatedOutbox, type AckMatch } from "./box-outbox.js";
import { chinaTimestamp } from "./china-time.js";
import { registerBoxes, SKIPPED_REGISTRATION, type RegistrationReport } from "./device-registration.js";
import { FleetConnections, groupConnections } from "./fleet-connections.js";
import { planFleet, type FleetPlan } from "./fleet-plan.js";
import { SimulationError } from "./simulation-error.js";
import { SimulationOptions, type SimulationOptionsInput } from "./simulation-options.js";
import { emptyAckCounts, plannedCounts, type SimulationMismatch, type SimulationSummary } from "./simulation-summary.js";
import { planTraffic, type PlannedMessage } from "./traffic-plan.js";

export { formatSimulationSummary, type SimulationSummary } from "./simulation-summary.js";

/**
 * `carewitness simulate`: plan a fleet and its traffic, register the boxes, then publish like the
 * boxes' outboxes would — every valid event until the gateway acks its exact bytes — and report the
 * ground truth next to the gateway's answers.
 */

export type SimulationPhase = "registering" | "connecting" | "publishing" | "draining" | "closing" | "done";

export interface SimulationProgress {
  readonly phase: SimulationPhase;
  readonly validPlanned: number;
  readonly defectsPlanned: number;
  readonly publications: number;
  readonly republications: number;
  readonly acked: number;
  readonly unacked: number;
  readonly elapsedMs: number;
  /** The same as one line of text, for a terminal. */
  readonly line: string;
}

export type ProgressListener = (progress: SimulationProgress) => void;

/** Wakes the publishing loop early when an ack or a PUBACK arrives. */
class Wakeup {
  private waiters = new Set<() => void>();

  notify(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.waiters.add(done);
    });
  }
}

/** Tallies the gateway's acks against the plan's labels. */
class AckLedger {
  readonly valid = emptyAckCounts();
  readonly defects = emptyAckCounts();
  readonly defectsByReason: Partial<Record<QuarantineReason, number>> = {};
  readonly mismatches: SimulationMismatch[] = [];
  repeated = 0;
  wrongHash = 0;
  unmatched = 0;
  invalidAckMessages = 0;

  record(match: AckMatch): void {
    const { entry } = match;
    switch (match.kind) {
      case "valid":
        this.valid[entry.result] += 1;
        if (entry.result === "quarantined") this.mismatch(entry, match.truth.box, "stored");
        return;
      case "defect":
        this.defects[entry.result] += 1;
        if (entry.reason !== null) this.defectsByReason[entry.reason] = (this.defectsByReason[entry.reason] ?? 0) + 1;
        if (entry.result !== "quarantined" || entry.reason !== match.truth.reason) this.mismatch(entry, match.truth.box, match.truth.reason);
        return;
      case "repeat":
        this.repeated += 1;
        return;
      case "wrong_hash":
        this.wrongHash += 1;
        return;
      case "unmatched":
        this.unmatched += 1;
        return;
    }
  }

  private mismatch(entry: AckEntry, box: string, expected: SimulationMismatch["expected"]): void {
    const got = entry.result === "quarantined" ? `quarantined:${entry.reason}` : entry.result;
    this.mismatches.push({ id: entry.id, box, expected, got });
  }
}

export async function runFleetSimulation(input: SimulationOptionsInput, onProgress: ProgressListener = () => undefined, signal?: AbortSignal): Promise<SimulationSummary> {
  const parsed = SimulationOptions.safeParse(input);
  if (!parsed.success) throw new SimulationError("invalid_options", z.prettifyError(parsed.error));
  const options = parsed.data;
  const startedAt = Date.now();
  const fleet = planFleet(options);
  const plan = planTraffic(fleet, options);
  const outbox = new SimulatedOutbox(plan, { resendAfterMs: options.resendAfterMs, maxUnacked: options.maxUnacked });
  const counts = plannedCounts(plan);
  const ledger = new AckLedger();
  const wakeup = new Wakeup();

  let phase: SimulationPhase = "registering";
  const report = (): void => {
    onProgress(progressOf(phase, outbox, counts.valid, counts.defects, Date.now() - startedAt));
  };
  report();
  const registration = options.register ? await registerBoxes(fleet.boxes, { gatewayUrl: options.gatewayUrl, gatewayToken: options.gatewayToken }) : SKIPPED_REGISTRATION;
  if (registration.failures.length > 0) throw registrationError(registration);

  phase = "connecting";
  report();
  const connections = await FleetConnections.open(groupConnections(fleet.boxes, options), strangersIn(plan, fleet), options, {
    onAcks: (message: AckMessage) => {
      for (const entry of message.acks) ledger.record(outbox.acknowledge(entry));
      wakeup.notify();
    },
    onInvalidAck: () => {
      ledger.invalidAckMessages += 1;
    },
    health: (box) => outbox.health(box),
  });

  phase = "publishing";
  const ticker = setInterval(report, options.progressIntervalMs);
  let publishErrors = 0;
  let stoppedBy: SimulationSummary["stoppedBy"] = "complete";
  try {
    const deadline = Date.now() + options.deadlineMs;
    const inFlight = new Set<Promise<void>>();
    const gapMs = options.rate > 0 ? 1000 / options.rate : 0;
    let nextSlot = Date.now();
    let doneAt: number | null = null;
    for (;;) {
      const now = Date.now();
      if (signal?.aborted === true) {
        stoppedBy = "aborted";
        break;
      }
      if (now >= deadline) {
        stoppedBy = outbox.done ? "complete" : "deadline";
        break;
      }
      if (outbox.done) {
        // Every valid event is acked; give the gateway a moment to ack the hostile messages too.
        phase = "draining";
        doneAt ??= now;
        if (outbox.defectsAwaitingAck === 0 || now - doneAt >= options.defectAckWaitMs) break;
        await wakeup.wait(Math.min(100, options.defectAckWaitMs));
        continue;
      }
      if (inFlight.size >= options.inFlight) {
        await wakeup.wait(100);
        continue;
      }
      if (now < nextSlot) {
        await wakeup.wait(nextSlot - now);
        continue;
      }
      const send = outbox.next(now);
      if (send === undefined) {
        await wakeup.wait(Math.min(250, Math.max(1, (outbox.nextResendAt() ?? now + 250) - now)));
        continue;
      }
      nextSlot = Math.max(nextSlot, now) + gapMs;
      const publication = connections
        .publish(send.message.topic, send.message.payload)
        .catch(() => {
          publishErrors += 1;
        })
        .finally(() => {
          inFlight.delete(publication);
          wakeup.notify();
        });
      inFlight.add(publication);
    }
    await Promise.race([Promise.allSettled(inFlight), new Promise((resolve) => setTimeout(resolve, 5000))]);
  } finally {
    clearInterval(ticker);
    phase = "closing";
    report();
    await connections.close(options.clearRetainedStatus ? "clear" : "shutdown");
  }
  phase = "done";
  report();
  return summarise(options, fleet, connections.count, registration, outbox, ledger, publishErrors, stoppedBy, Date.now() - startedAt, counts);
}

/** Unregistered boxes that hostile messages come from; the simulator listens on their acks topics too. */
function strangersIn(plan: readonly PlannedMessage[], fleet: FleetPlan): { site: string; box: string }[] {
  const known = new Set(fleet.boxes.map((b) => b.box));
  const strangers = new Map<string, { site: string; box: string }>();
  for (const { truth } of plan) if (!known.has(truth.box)) strangers.set(truth.box, { site: truth.site, box: truth.box });
  return [...strangers.values()];
}

function registrationError(registration: RegistrationReport): SimulationError {
  const first = registration.failures[0];
  const detail = first === undefined ? "" : `${first.box}: ${first.status ?? "no answer"} ${first.detail}`;
  return new SimulationError(
    "registration_failed",
    `registering ${registration.failures.length} box(es) failed (${detail}); check gatewayUrl and gatewayToken, or pass register: false`,
    { failures: registration.failures },
  );
}

function progressOf(phase: SimulationPhase, outbox: SimulatedOutbox, validPlanned: number, defectsPlanned: number, elapsedMs: number): SimulationProgress {
  const progress = {
    phase,
    validPlanned,
    defectsPlanned,
    publications: outbox.publications,
    republications: outbox.republications,
    acked: outbox.acked,
    unacked: outbox.unacked,
    elapsedMs,
  };
  // Fixed width: a terminal rewrites this line in place with `\r`, so a shorter one must cover a longer.
  const line = `${phase.padEnd(11)} acked ${progress.acked}/${validPlanned}  published ${progress.publications} (re-sent ${progress.republications})  ${(elapsedMs / 1000).toFixed(1)} s`.padEnd(80);
  return { ...progress, line };
}

function summarise(
  options: SimulationOptions,
  fleet: FleetPlan,
  connections: number,
  registration: RegistrationReport,
  outbox: SimulatedOutbox,
  ledger: AckLedger,
  publishErrors: number,
  stoppedBy: SimulationSummary["stoppedBy"],
  elapsedMs: number,
  planned: SimulationSummary["planned"],
): SimulationSummary {
  return {
    seed: options.seed,
    endAt: chinaTimestamp(options.endAt),
    days: options.days,
    sites: fleet.sites.length,
    boxes: fleet.boxes.length,
    connections,
    planned,
    registration,
    published: {
      publications: outbox.publications,
      republications: outbox.republications,
      defectsSent: outbox.defectsSent,
      defectsHeld: outbox.defectsHeld,
      publishErrors,
    },
    acks: {
      valid: ledger.valid,
      defects: ledger.defects,
      defectsByReason: ledger.defectsByReason,
      repeated: ledger.repeated,
      wrongHash: ledger.wrongHash,
      unmatched: ledger.unmatched,
      invalidAckMessages: ledger.invalidAckMessages,
    },
    defectsUnacked: outbox.defectsAwaitingAck,
    mismatches: ledger.mismatches,
    unacked: outbox.unackedIds(),
    stoppedBy: outbox.done ? "complete" : stoppedBy,
    elapsedMs,
  };
}
