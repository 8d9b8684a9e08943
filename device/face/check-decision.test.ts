import { describe, expect, it } from "vitest";
import { EventMessage } from "../../protocol/index.js";
import { exampleMessages } from "../../protocol/examples.js";
import { decideCheck } from "./check-decision.js";

const verified = { outcome: "verified", distance: 0.41234567, threshold: 0.6, framesUsed: 2, model: "dlib-resnet-v1@1" } as const;
const mismatch = { ...verified, outcome: "face_mismatch", distance: 0.83 } as const;
const passed = { state: "passed", challenge: "blink", atMs: 900, score: 1 } as const;
const failed = { state: "failed", challenge: "turn_left", reason: "time_limit", score: 0.2 } as const;

describe("check decision", () => {
  it("verifies a matching live face, with scores the event schema accepts", () => {
    const decision = decideCheck({ match: verified, liveness: passed, livenessModel: "face-landmark-68@1" });
    expect(decision).toMatchObject({ decided: true, verification: { outcome: "verified", face: { score: 0.4123 }, liveness: { method: "active_blink", score: 1 } } });
    // The block drops into a real event and the event still validates.
    const example = exampleMessages().dialysisCheckIn.message as Record<string, unknown>;
    if (!decision.decided) throw new Error("undecided");
    const event = { ...example, verification: decision.verification };
    const parsed = EventMessage.safeParse(event);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it("calls a matching face that failed the challenge a suspected spoof, never verified", () => {
    const decision = decideCheck({ match: verified, liveness: failed, livenessModel: "face-landmark-68@1" });
    expect(decision).toMatchObject({ decided: true, verification: { outcome: "suspected_spoof", liveness: { method: "active_head_turn", score: 0.2 } } });
  });

  it("reports a live face that does not match as a mismatch", () => {
    expect(decideCheck({ match: mismatch, liveness: passed, livenessModel: "m" })).toMatchObject({ verification: { outcome: "face_mismatch" } });
  });

  it("waits for the challenge, and reports no usable face or no template plainly", () => {
    expect(decideCheck({ match: verified, liveness: { state: "pending", challenge: "blink" }, livenessModel: "m" })).toEqual({ decided: false, reason: "liveness_pending" });
    expect(decideCheck({ match: { outcome: "no_face", coaching: "too_dark", framesUsed: 4 }, liveness: passed, livenessModel: "m" })).toMatchObject({
      verification: { outcome: "no_face", face: null, liveness: null },
    });
    expect(decideCheck({ match: { outcome: "not_enrolled", framesUsed: 0 }, liveness: passed, livenessModel: "m" })).toEqual({ decided: false, reason: "not_enrolled" });
  });
});
