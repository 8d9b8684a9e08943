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
    // 0.25 of an open 0.3 is a fall to 83 %: not closed (a blink must fall below 75 %).
    expect(judgeChallenge("blink", track([[open, 0], [open, 0], [open, 0], [0.25, 0], [open, 0]])).state).toBe("pending");
  });

  it("needs both eyes to close: one eye's contour jumping is not a blink, a bilateral closure is", () => {
    const eyes = (pairs: readonly [number, number][]): LivenessObservation[] =>
      pairs.map(([right, left], i) => ({ atMs: i * 100, eyeOpenness: (right + left) / 2, eyes: [right, left] as const, yaw: 0 }));
    // The mean falls to 0.17 / 0.3 = 57 % in frame 3, but only the right eye moved.
    const oneEye = eyes([[0.3, 0.3], [0.3, 0.3], [0.3, 0.3], [0.04, 0.3], [0.3, 0.3]]);
    expect(judgeChallenge("blink", oneEye)).toMatchObject({ state: "pending" });
    const both = eyes([[0.3, 0.28], [0.3, 0.28], [0.3, 0.28], [0.1, 0.12], [0.29, 0.27]]);
    expect(judgeChallenge("blink", both)).toMatchObject({ state: "passed", atMs: 400, score: 1 });
  });

  it("scores a blink that did not finish by the eye that closed least", () => {
    const eyes = (pairs: readonly [number, number][]): LivenessObservation[] =>
      pairs.map(([right, left], i) => ({ atMs: i * 1000, eyeOpenness: (right + left) / 2, eyes: [right, left] as const, yaw: 0 }));
    // Right eye fell to 0.15 (past closed), left only to 0.27 (10 % of the 25 % needed → 0.4).
    const verdict = judgeChallenge("blink", eyes([[0.3, 0.3], [0.3, 0.3], [0.3, 0.3], [0.15, 0.27], [0.3, 0.3], [0.3, 0.3], [0.3, 0.3]]));
    expect(verdict).toMatchObject({ state: "failed", reason: "time_limit" });
    expect(verdict.state === "failed" ? verdict.score : Number.NaN).toBeCloseTo(0.4, 10);
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
