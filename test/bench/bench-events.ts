import { boxTopic } from "../../protocol/index.js";
import { payloadOf, signedCheckIn, testBox, type TestBox } from "../fixtures/signed-events.js";

/** Pre-signed check-ins spread over many boxes, so the benchmark measures the gateway, not signing. */
export interface BenchMessage {
  readonly id: string;
  readonly topic: string;
  readonly payload: Buffer;
}

export function benchFleet(site: string, boxes: number): TestBox[] {
  return Array.from({ length: boxes }, (_, i) => testBox(`bench-${String(i).padStart(3, "0")}`, site));
}

export function benchMessages(fleet: readonly TestBox[], count: number): BenchMessage[] {
  const messages: BenchMessage[] = [];
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const box = fleet[i % fleet.length];
    if (box === undefined) throw new Error("empty fleet");
    const event = signedCheckIn(box, Math.floor(i / fleet.length) + 1, {
      at: new Date(now - 3_600_000 + i),
      outcome: i % 50 === 0 ? "card_only" : "verified",
    });
    messages.push({ id: event.id, topic: boxTopic("events", box), payload: payloadOf(event) });
  }
  return messages;
}
