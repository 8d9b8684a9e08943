import { AckMessage } from "../../protocol/index.js";
import type { Clock, EventPublisher } from "../ports.js";
import type { AckOutcome, EventOutbox, OutboxEvent } from "./event-outbox.js";

/**
 * Moves events from the outbox to the broker. Live events (created within `liveWindowMs`) go at
 * once; the backlog an outage left behind drains in sequence order at `backlogPerSecond`, so a
 * patient checking in now is not queued behind yesterday's events. An event is re-sent when no ack
 * has named it `resendAfterMs` after its last send; only the gateway's ack removes it.
 */
export interface DeliveryPolicy {
  readonly liveWindowMs: number;
  readonly backlogPerSecond: number;
  readonly resendAfterMs: number;
  readonly maxPerTick: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  liveWindowMs: 60_000,
  backlogPerSecond: 50,
  resendAfterMs: 30_000,
  maxPerTick: 200,
};

export interface DeliveryReport {
  readonly live: number;
  readonly backlog: number;
  readonly failed: number;
}

export class OutboxDelivery {
  private backlogTokens = 0;
  private lastTickAt: number | null = null;
  private readonly ackOutcomes: Record<AckOutcome, number> = { deleted: 0, hash_mismatch: 0, unknown: 0 };
  private invalidAcks = 0;

  constructor(
    private readonly outbox: EventOutbox,
    private readonly publisher: EventPublisher,
    private readonly policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY,
    private readonly clock: Clock = { now: () => Date.now() },
  ) {}

  /** One round of publication; call it on a timer and whenever an event is enqueued. */
  async tick(): Promise<DeliveryReport> {
    const now = this.clock.now();
    const elapsed = this.lastTickAt === null ? 1000 : now - this.lastTickAt;
    this.lastTickAt = now;
    // Token bucket for the backlog, holding at most one second's worth.
    this.backlogTokens = Math.min(this.policy.backlogPerSecond, this.backlogTokens + (elapsed / 1000) * this.policy.backlogPerSecond);
    const liveFrom = now - this.policy.liveWindowMs;
    const live = this.outbox.due(now, this.policy.resendAfterMs, this.policy.maxPerTick, { createdFrom: liveFrom });
    const backlogBudget = Math.min(Math.floor(this.backlogTokens), this.policy.maxPerTick - live.length);
    const backlog = backlogBudget > 0 ? this.outbox.due(now, this.policy.resendAfterMs, backlogBudget, { createdBefore: liveFrom }) : [];
    this.backlogTokens -= backlog.length;
    const failed = await this.publishAll([...live, ...backlog], now);
    return { live: live.length, backlog: backlog.length, failed };
  }

  private async publishAll(events: readonly OutboxEvent[], now: number): Promise<number> {
    const results = await Promise.allSettled(events.map((event) => this.publisher.publish(event.topic, event.payload)));
    const sent = events.filter((_, i) => results[i]?.status === "fulfilled").map((event) => event.seq);
    this.outbox.markSent(sent, now);
    return events.length - sent.length;
  }

  /** Handles one message from the box's acks topic; a malformed one is counted and ignored. */
  onAckMessage(payload: Buffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString("utf8"));
    } catch {
      this.invalidAcks++;
      return;
    }
    const ack = AckMessage.safeParse(parsed);
    if (!ack.success) {
      this.invalidAcks++;
      return;
    }
    for (const outcome of this.outbox.acknowledge(ack.data.acks, this.clock.now())) this.ackOutcomes[outcome]++;
  }

  stats(): { acks: Readonly<Record<AckOutcome, number>>; invalidAcks: number } {
    return { acks: { ...this.ackOutcomes }, invalidAcks: this.invalidAcks };
  }
}
