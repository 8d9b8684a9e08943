import { describe, expect, it } from "vitest";
import { AckEntry } from "../../protocol/index.js";
import { payloadSha256, SimulatedOutbox } from "./box-outbox.js";
import { planFleet } from "./fleet-plan.js";
import { planTraffic, type PlannedMessage } from "./traffic-plan.js";

const fleet = planFleet({ seed: "outbox", sites: 1, stationsPerSite: 1, wardsPerSite: 1, bedsPerWard: 8 });
const plan = planTraffic(fleet, { endAt: "2026-11-25T12:00:00+08:00", days: 2, badShare: 0.3 });
const valid = plan.filter((m) => m.truth.type === "valid");

/** An ack entry as the gateway would send it, checked against the protocol schema. */
function ack(message: PlannedMessage, overrides: { payloadSha256?: string; result?: AckEntry["result"]; reason?: AckEntry["reason"] } = {}): AckEntry {
  const truth = message.truth;
  return AckEntry.parse({ id: truth.id ?? "", seq: truth.seq ?? 1, payloadSha256: payloadSha256(message.payload), result: "stored", reason: null, ...overrides });
}

/** Sends everything sendable at `now` and returns what went out. */
function drain(outbox: SimulatedOutbox, now: number): PlannedMessage[] {
  const sent: PlannedMessage[] = [];
  for (let send = outbox.next(now); send !== undefined; send = outbox.next(now)) sent.push(send.message);
  return sent;
}

describe("SimulatedOutbox", () => {
  it("keeps an event whose ack names its id with another payload's hash, and re-publishes it when due", () => {
    const outbox = new SimulatedOutbox(valid.slice(0, 2), { resendAfterMs: 1000, maxUnacked: 10 });
    const [first, second] = drain(outbox, 0);
    if (first === undefined || second === undefined) throw new Error("two sends expected");
    expect(outbox.acknowledge(ack(first, { payloadSha256: "0".repeat(64) })).kind).toBe("wrong_hash");
    expect(outbox.acknowledge(ack(second)).kind).toBe("valid");
    expect(outbox.next(999)).toBeUndefined();
    expect(outbox.nextResendAt()).toBe(1000);
    expect(outbox.next(1000)).toEqual({ message: first, resend: true });
    expect(outbox.acknowledge(ack(first, { result: "duplicate" })).kind).toBe("valid");
    expect(outbox.acknowledge(ack(first)).kind).toBe("repeat");
    expect([outbox.done, outbox.republications, outbox.publications]).toEqual([true, 1, 3]);
  });

  it("holds a hostile copy until the event it copies is acked", () => {
    const copyIndex = plan.findIndex((m) => m.truth.type === "defect" && m.truth.copies !== null);
    const copy = plan[copyIndex] as PlannedMessage;
    const source = plan.find((m) => m.truth.type === "valid" && copy.truth.type === "defect" && m.truth.id === copy.truth.copies) as PlannedMessage;
    const outbox = new SimulatedOutbox([source, copy], { resendAfterMs: 60_000, maxUnacked: 10 });
    expect(drain(outbox, 0)).toEqual([source]);
    expect(outbox.done).toBe(false);
    outbox.acknowledge(ack(source));
    expect(drain(outbox, 1)).toEqual([copy]);
    expect(outbox.done).toBe(true);
    expect(outbox.acknowledge(ack(copy, { result: "quarantined", reason: "replay_conflict" })).kind).toBe("defect");
  });

  it("sends no more than maxUnacked valid events before acks arrive", () => {
    const outbox = new SimulatedOutbox(valid, { resendAfterMs: 60_000, maxUnacked: 3 });
    const sent = drain(outbox, 0);
    expect(sent).toEqual(valid.slice(0, 3));
    outbox.acknowledge(ack(valid[1] as PlannedMessage));
    expect(drain(outbox, 1)).toEqual([valid[3]]);
  });

  it("skips an event already acked before it was sent (an earlier run's ack from the persistent session)", () => {
    const outbox = new SimulatedOutbox(valid.slice(0, 3), { resendAfterMs: 60_000, maxUnacked: 10 });
    outbox.acknowledge(ack(valid[1] as PlannedMessage, { result: "duplicate" }));
    expect(drain(outbox, 0)).toEqual([valid[0], valid[2]]);
    expect([outbox.unacked, outbox.acked]).toEqual([2, 1]);
  });

  it("reports a box's outbox depth and oldest pending device time", () => {
    const outbox = new SimulatedOutbox(valid, { resendAfterMs: 60_000, maxUnacked: 100 });
    const box = valid[0]?.truth.box ?? "";
    const own = valid.filter((m) => m.truth.box === box);
    expect(outbox.health(box)).toEqual({ depth: own.length, oldestPendingAt: own[0]?.truth.type === "valid" ? own[0].truth.at : null });
    outbox.acknowledge(ack(own[0] as PlannedMessage));
    expect(outbox.health(box)).toEqual({ depth: own.length - 1, oldestPendingAt: own[1]?.truth.type === "valid" ? own[1].truth.at : null });
  });
});
