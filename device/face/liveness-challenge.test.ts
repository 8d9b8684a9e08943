import { describe, expect, it } from "vitest";
import { judgeChallenge, pickChallenge, type LivenessObservation } from "./liveness-challenge.js";

function track(values: readonly [number, number][], stepMs = 100): LivenessObservation[] {
  return values.map(([eyeOpenness, yaw], i) => ({ atMs: i * stepMs, eyeOpenness, yaw }));
}

const open = 0.3;

describe("active liveness challenge", () => {
  it("passes a blink: open, closed, open again", () => {
    const verdict = judgeChallenge("blink", track([[open, 0], [0.31, 0], [0.29, 0], [0.12, 0], [0.09, 0], [0.28, 0]]));
    expect(verdict).toMatchObject({ state: "passed", atMs: 500 });
  });

  it("keeps waiting while the eyes are closed, and does not count a half blink", () => {
    expect(judgeChallenge("blink", track([[open, 0], [open, 0], [open, 0], [0.1, 0]])).state).toBe("pending");
    expect(judgeChallenge("blink", track([[open, 0], [open, 0], [open, 0], [0.22, 0], [open, 0]])).state).toBe("pending");
  });

  it("fails a still photograph at the time limit, with no progress towards the gesture", () => {
    const still = track(Array.from({ length: 60 }, (): [number, number] => [open, 0.02]));
    expect(judgeChallenge("blink", still)).toEqual({ state: "failed", challenge: "blink", reason: "time_limit", score: 0 });
    expect(judgeChallenge("turn_left", still)).toMatchObject({ state: "failed", reason: "time_limit" });
  });

  it("passes a head turn only in the asked direction", () => {
    const turningLeft = track([[open, 0], [open, 0.1], [open, 0.2], [open, 0.3]]);
    expect(judgeChallenge("turn_left", turningLeft)).toMatchObject({ state: "passed", atMs: 300 });
    expect(judgeChallenge("turn_right", turningLeft).state).toBe("pending");
  });

  it("says the eyes are not visible enough rather than judging a blink on closed or hidden eyes", () => {
    expect(judgeChallenge("blink", track([[0.1, 0], [0.1, 0], [0.09, 0]]))).toMatchObject({ state: "failed", reason: "eyes_not_visible" });
  });

  it("draws every challenge", () => {
    const drawn = new Set([0, 1, 2].map((n) => pickChallenge(() => n)));
    expect(drawn).toEqual(new Set(["blink", "turn_left", "turn_right"]));
  });

  it("draws only the allowed challenges, each of them", () => {
    const allowed = ["turn_left", "turn_right"] as const;
    const drawn = new Set([0, 1].map((n) => pickChallenge((max) => n % max, allowed)));
    expect(drawn).toEqual(new Set(allowed));
  });
});
