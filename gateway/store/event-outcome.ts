import type { EventRecord, EventStoreOutcome } from "./gateway-store.js";

/**
 * Why an event that did not insert was turned away, given the stored event with its id and the one
 * holding its (box, seq). The id decides first: a redelivery is the common case and must read as a
 * duplicate even if it also collides on seq (it does, with itself).
 */
export function classifyUnstored(
  event: EventRecord,
  sameId: { readonly bodyHash: string } | undefined,
  sameSequence: { readonly id: string } | undefined,
): EventStoreOutcome {
  if (sameId !== undefined) {
    if (sameId.bodyHash === event.bodyHash) return { result: "duplicate" };
    return { result: "replay_conflict", detail: `event ${event.id} was stored before with a different body` };
  }
  if (sameSequence !== undefined) {
    return {
      result: "sequence_reuse",
      detail: `box ${event.box} already used seq ${event.seq} for event ${sameSequence.id}`,
    };
  }
  // Neither key is taken, yet the insert did nothing: only a bug (or a deleted row) gets here.
  throw new Error(`event ${event.id} was not inserted but conflicts with no stored event`);
}

/** The ids of the events a batch newly stored: only these may raise alerts. */
export function storedEventIds(events: readonly EventRecord[], outcomes: readonly EventStoreOutcome[]): Set<string> {
  return new Set(events.filter((_, index) => outcomes[index]?.result === "stored").map((event) => event.id));
}
