import { describe, expect, it } from "vitest";
import { advancePresence, initialPresence, type PollEvent, type PollObservation, type PresenceState } from "./poll-loop.js";

type Obs = PollObservation<string, string>;
const opts = { removalMisses: 2, reopenAfterErrors: 3 };

function run(observations: readonly Obs[]): { events: PollEvent<string, string>[]; state: PresenceState<string> } {
  let state = initialPresence<string>();
  const events: PollEvent<string, string>[] = [];
  for (const o of observations) {
    const step = advancePresence(state, o, opts);
    state = step.state;
    events.push(...step.events);
  }
  return { events, state };
}
const card = (key: string): Obs => ({ kind: "card", key, card: `card ${key}` });
const none: Obs = { kind: "no_card" };

describe("poll loop state machine", () => {
  it("presents a card once while find keeps answering 9F, and removes it after two empty polls", () => {
    const { events } = run([none, card("a"), card("a"), card("a"), none, card("a"), none, none, none]);
    expect(events).toEqual([
      { kind: "presented", card: "card a" },
      { kind: "removed", card: "card a", reason: "lifted" },
    ]);
  });

  it("presents once when find answers 80 after a read until the card is lifted, and again when it is re-placed", () => {
    const { events } = run([card("a"), none, none, none, none, card("a"), none, none]);
    expect(events.map((e) => e.kind)).toEqual(["presented", "removed", "presented", "removed"]);
  });

  it("reports a swapped card as removed then presented", () => {
    const { events } = run([card("a"), card("b")]);
    expect(events).toEqual([
      { kind: "presented", card: "card a" },
      { kind: "removed", card: "card a", reason: "replaced" },
      { kind: "presented", card: "card b" },
    ]);
  });

  it("reports a rejected card once per presentation and never as presented or removed", () => {
    const { events } = run([{ kind: "card_rejected", key: "x", error: "bad id" }, { kind: "card_rejected", key: "x", error: "bad id" }, none, none, card("a")]);
    expect(events).toEqual([
      { kind: "rejected", error: "bad id" },
      { kind: "presented", card: "card a" },
    ]);
  });

  it("reports a failed read without presenting, and counts it towards removal of a present card", () => {
    expect(run([{ kind: "read_failed", error: "41" }, none]).events).toEqual([{ kind: "read_failed", error: "41" }]);
    const { events } = run([card("a"), { kind: "read_failed", error: "41" }, { kind: "read_failed", error: "41" }]);
    expect(events.map((e) => e.kind)).toEqual(["presented", "read_failed", "removed", "read_failed"]);
  });

  it("asks for the port to be reopened after three reader errors in a row, and not when they are interleaved with replies", () => {
    const err: Obs = { kind: "reader_error", error: "timeout" };
    expect(run([err, err, err]).events.map((e) => e.kind)).toEqual(["reader_error", "reader_error", "reader_error", "reopen_port"]);
    expect(run([err, err, none, err, err]).events.map((e) => e.kind)).not.toContain("reopen_port");
  });

  it("removes the present card when the link is lost, and presents it again after reconnection", () => {
    const { events } = run([card("a"), { kind: "link_lost", error: "EIO" }, card("a")]);
    expect(events).toEqual([
      { kind: "presented", card: "card a" },
      { kind: "removed", card: "card a", reason: "link_lost" },
      { kind: "presented", card: "card a" },
    ]);
  });

  it("keeps a present card through one empty poll (debounce)", () => {
    expect(run([card("a"), none, card("a")]).events).toEqual([{ kind: "presented", card: "card a" }]);
  });
});
