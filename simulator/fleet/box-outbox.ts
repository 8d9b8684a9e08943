import { createHash } from "node:crypto";
import type { AckEntry } from "../../protocol/index.js";
import type { DefectTruth } from "./hostile-messages.js";
import type { PlannedMessage, ValidTruth } from "./traffic-plan.js";

/**
 * The simulated boxes' outboxes, as one state machine over the whole plan (no I/O, time passed in).
 * Like a real box it keeps every valid event until an ack names its id *and* the SHA-256 of the exact
 * bytes published (protocol/messages/ack.ts), so an ack for a tampered copy under the same id never
 * releases the real event; unacked events are re-published after `resendAfterMs`. Hostile messages
 * are sent once; those that reuse a real event's id or seq wait until that event is acked.
 */

export type AckResult = AckEntry["result"];

export type AckMatch =
  | { readonly kind: "valid"; readonly truth: ValidTruth; readonly entry: AckEntry }
  | { readonly kind: "defect"; readonly truth: DefectTruth; readonly entry: AckEntry }
  /** The same message acked again (after a re-publication, or a gateway answering twice). */
  | { readonly kind: "repeat"; readonly entry: AckEntry }
  /** A real event's id with a hash that is not its payload's: an ack for some other body. */
  | { readonly kind: "wrong_hash"; readonly entry: AckEntry }
  | { readonly kind: "unmatched"; readonly entry: AckEntry };

export interface OutboxSend {
  readonly message: PlannedMessage;
  readonly resend: boolean;
}

interface ValidEntry {
  readonly message: PlannedMessage;
  readonly truth: ValidTruth;
  readonly sha: string;
  lastSentAt: number | null;
  acked: AckResult | null;
}

interface DefectEntry {
  readonly truth: DefectTruth;
  sent: boolean;
  acked: boolean;
}

export interface OutboxLimits {
  readonly resendAfterMs: number;
  /** Valid events sent but not yet acked before new ones wait. */
  readonly maxUnacked: number;
}

export function payloadSha256(payload: Uint8Array): string {
  return createHash("sha256").update(payload).digest("hex");
}

export class SimulatedOutbox {
  private readonly valid = new Map<string, ValidEntry>();
  private readonly defects = new Map<string, DefectEntry>();
  /** Each box's valid events in seq order, with a cursor past the acked head (for status health). */
  private readonly byBox = new Map<string, { entries: ValidEntry[]; head: number; unacked: number }>();
  private cursor = 0;
  private readonly held: PlannedMessage[] = [];
  /** (id, sentAt) in send order; entries whose event was acked or re-sent since are skipped lazily. */
  private readonly resendQueue: { id: string; sentAt: number }[] = [];
  private resendHead = 0;
  private inFlightUnacked = 0;
  private unackedValid = 0;
  publications = 0;
  republications = 0;
  defectsSent = 0;

  constructor(
    private readonly plan: readonly PlannedMessage[],
    private readonly limits: OutboxLimits,
  ) {
    for (const message of plan) {
      const { truth } = message;
      if (truth.type === "valid") {
        const entry: ValidEntry = { message, truth, sha: payloadSha256(message.payload), lastSentAt: null, acked: null };
        this.valid.set(truth.id, entry);
        const box = this.byBox.get(truth.box) ?? { entries: [], head: 0, unacked: 0 };
        box.entries.push(entry);
        box.unacked += 1;
        this.byBox.set(truth.box, box);
        this.unackedValid += 1;
      } else {
        this.defects.set(payloadSha256(message.payload), { truth, sent: false, acked: false });
      }
    }
  }

  /** The next message to publish now, marked as sent; undefined when nothing may go yet. */
  next(now: number): OutboxSend | undefined {
    const due = this.dueResend(now);
    if (due !== undefined) {
      this.markValidSent(due, now);
      this.republications += 1;
      return { message: due.message, resend: true };
    }
    const released = this.held.findIndex((message) => this.sourceAcked(message));
    if (released !== -1) {
      const [message] = this.held.splice(released, 1);
      if (message !== undefined) return this.sendDefect(message);
    }
    while (this.cursor < this.plan.length) {
      const message = this.plan[this.cursor] as PlannedMessage;
      const { truth } = message;
      if (truth.type === "valid") {
        const entry = this.valid.get(truth.id) as ValidEntry;
        if (entry.acked !== null) {
          // Acked before this run sent it: an earlier run's ack, queued in the persistent session.
          this.cursor += 1;
          continue;
        }
        if (this.inFlightUnacked >= this.limits.maxUnacked) return undefined;
        this.cursor += 1;
        this.markValidSent(entry, now);
        return { message, resend: false };
      }
      this.cursor += 1;
      if (!this.sourceAcked(message)) {
        this.held.push(message);
        continue;
      }
      return this.sendDefect(message);
    }
    return undefined;
  }

  /** When the oldest unacked publication becomes due for re-publication; undefined if none waits. */
  nextResendAt(): number | undefined {
    const head = this.liveResendHead();
    return head === undefined ? undefined : head.sentAt + this.limits.resendAfterMs;
  }

  acknowledge(entry: AckEntry): AckMatch {
    const defect = this.defects.get(entry.payloadSha256);
    if (defect !== undefined) {
      if (defect.acked) return { kind: "repeat", entry };
      defect.acked = true;
      return { kind: "defect", truth: defect.truth, entry };
    }
    const valid = this.valid.get(entry.id);
    if (valid === undefined) return { kind: "unmatched", entry };
    if (valid.sha !== entry.payloadSha256) return { kind: "wrong_hash", entry };
    if (valid.acked !== null) return { kind: "repeat", entry };
    valid.acked = entry.result;
    this.unackedValid -= 1;
    if (valid.lastSentAt !== null) this.inFlightUnacked -= 1;
    const box = this.byBox.get(valid.truth.box);
    if (box !== undefined) box.unacked -= 1;
    return { kind: "valid", truth: valid.truth, entry };
  }

  /** Every valid event acked and every hostile message sent. */
  get done(): boolean {
    return this.unackedValid === 0 && this.cursor === this.plan.length && this.held.length === 0;
  }

  get unacked(): number {
    return this.unackedValid;
  }

  get acked(): number {
    return this.valid.size - this.unackedValid;
  }

  /** Hostile messages sent that the gateway can ack but has not (yet). */
  get defectsAwaitingAck(): number {
    let count = 0;
    for (const defect of this.defects.values()) if (defect.sent && defect.truth.ackable && !defect.acked) count += 1;
    return count;
  }

  get defectsHeld(): number {
    return this.held.length + this.plan.slice(this.cursor).filter((m) => m.truth.type === "defect").length;
  }

  unackedIds(): string[] {
    return [...this.valid.values()].filter((entry) => entry.acked === null).map((entry) => entry.truth.id);
  }

  /** Outbox depth and oldest pending device time of one box, for its status message. */
  health(box: string): { depth: number; oldestPendingAt: string | null } {
    const state = this.byBox.get(box);
    if (state === undefined) return { depth: 0, oldestPendingAt: null };
    while (state.head < state.entries.length && state.entries[state.head]?.acked !== null) state.head += 1;
    return { depth: state.unacked, oldestPendingAt: state.entries[state.head]?.truth.at ?? null };
  }

  private sourceAcked(message: PlannedMessage): boolean {
    const { truth } = message;
    if (truth.type !== "defect" || truth.copies === null) return true;
    return (this.valid.get(truth.copies)?.acked ?? null) !== null;
  }

  private sendDefect(message: PlannedMessage): OutboxSend {
    const defect = this.defects.get(payloadSha256(message.payload));
    if (defect !== undefined) defect.sent = true;
    this.publications += 1;
    this.defectsSent += 1;
    return { message, resend: false };
  }

  private markValidSent(entry: ValidEntry, now: number): void {
    if (entry.lastSentAt === null) this.inFlightUnacked += 1;
    entry.lastSentAt = now;
    this.resendQueue.push({ id: entry.truth.id, sentAt: now });
    this.publications += 1;
  }

  private liveResendHead(): { id: string; sentAt: number } | undefined {
    for (;;) {
      const head = this.resendQueue[this.resendHead];
      if (head === undefined) return undefined;
      const entry = this.valid.get(head.id);
      if (entry !== undefined && entry.acked === null && entry.lastSentAt === head.sentAt) return head;
      this.resendHead += 1;
      if (this.resendHead > 4096 && this.resendHead * 2 > this.resendQueue.length) {
        this.resendQueue.splice(0, this.resendHead);
        this.resendHead = 0;
      }
    }
  }

  private dueResend(now: number): ValidEntry | undefined {
    const head = this.liveResendHead();
    if (head === undefined || head.sentAt + this.limits.resendAfterMs > now) return undefined;
    this.resendHead += 1;
    return this.valid.get(head.id);
  }
}
