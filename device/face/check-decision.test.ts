import { describe, expect, it } from "vitest";
import { EventMessage } from "../../protocol/index.js";
import { exampleMessages } from "../../protocol/examples.js";
import { decideCheck, decisionThresholds } from "./check-decision.js";

const verified = { outcome: "verified", distance: 0.41234567, threshold: 0.6, framesUsed: 2, model: "dlib-resnet-v1@2", identifiedAs: null, watchListedFace: null } as const;
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

describe("check decision with passive cues and thresholds from the manifest and the box", () => {
  const thresholds = decisionThresholds({ thresholds: { matchDistance: 0.6 } }, { faceThreshold: null, livenessThreshold: null });
  const cue = (fired: boolean, score: number) => ({ value: fired ? 1 : 0, threshold: 0.5, fired, score });
  const passiveLive = { cues: { border: cue(false, 0.8), moire: cue(false, 0.9), glare: cue(false, 1), motion: cue(false, 0.7) }, fired: [], score: 0.7, frames: 8 } as const;
  const passiveSpoof = { cues: { border: cue(true, 0.2), moire: cue(false, 0.9), glare: cue(false, 1), motion: cue(true, 0.1) }, fired: ["border", "motion"], score: 0.1, frames: 8 } as const;
  const matches = { ...verified, distance: 0.41 };
  const differs = { ...verified, outcome: "face_mismatch", distance: 0.83 } as const;

  it("takes the match threshold from the manifest unless the box overrides it, and the liveness threshold from the box or 0.5", () => {
    expect(thresholds).toMatchObject({ matchDistance: 0.6, liveness: 0.5 });
    expect(decisionThresholds({ thresholds: {} }, { faceThreshold: 0.55, livenessThreshold: 0.7 })).toMatchObject({ matchDistance: 0.55, liveness: 0.7 });
  });

  // Every combination of face (matches or not) × challenge (passed or failed) × passive (live or spoof).
  const table = [
    { face: matches, challenge: passed, passive: passiveLive, outcome: "verified", failed: "none" },
    { face: matches, challenge: passed, passive: passiveSpoof, outcome: "suspected_spoof", failed: "liveness" },
    { face: matches, challenge: failed, passive: passiveLive, outcome: "suspected_spoof", failed: "liveness" },
    { face: matches, challenge: failed, passive: passiveSpoof, outcome: "suspected_spoof", failed: "liveness" },
    { face: differs, challenge: passed, passive: passiveLive, outcome: "face_mismatch", failed: "face" },
    { face: differs, challenge: passed, passive: passiveSpoof, outcome: "suspected_spoof", failed: "face_and_liveness" },
    { face: differs, challenge: failed, passive: passiveLive, outcome: "suspected_spoof", failed: "face_and_liveness" },
    { face: differs, challenge: failed, passive: passiveSpoof, outcome: "suspected_spoof", failed: "face_and_liveness" },
  ] as const;
  it.each(table.map((row, i) => [i, row] as const))("row %i: says the outcome and which part failed", (_i, row) => {
    const decision = decideCheck({ match: row.face, liveness: row.challenge, passive: row.passive, thresholds, livenessModel: "face-landmark-68@1+passive-v1" });
    if (!decision.decided) throw new Error("undecided");
    expect(decision.verification.outcome).toBe(row.outcome);
    expect(decision.failed).toBe(row.failed);
    const block = decision.verification.liveness;
    expect(block?.method).toBe("combined");
    // The block is self-consistent: live exactly when the score reaches the threshold.
    const live = row.challenge.state === "passed" && row.passive.score >= 0.5;
    expect((block?.score ?? 0) >= (block?.threshold ?? 1)).toBe(live);
    if (live) expect(decision.livenessFailure).toBeNull();
    else {
      expect(decision.livenessFailure?.challenge).toEqual(row.challenge.state === "failed" ? { reason: "time_limit", score: 0.2 } : null);
      expect(decision.livenessFailure?.passiveCues).toEqual(row.passive.fired);
    }
    const event = { ...(exampleMessages().dialysisCheckIn.message as Record<string, unknown>), verification: decision.verification };
    expect(EventMessage.safeParse(event).success).toBe(true);
  });

  it("judges the distance against the thresholds given, not the pipeline's own", () => {
    const strict = { ...thresholds, matchDistance: 0.4 };
    const decision = decideCheck({ match: matches, liveness: passed, passive: passiveLive, thresholds: strict, livenessModel: "m" });
    expect(decision).toMatchObject({ decided: true, failed: "face", verification: { outcome: "face_mismatch", face: { threshold: 0.4 } } });
  });

  it("asks for margin on the passive score when the box raises the liveness threshold", () => {
    const demanding = { ...thresholds, liveness: 0.8 };
    const decision = decideCheck({ match: matches, liveness: passed, passive: passiveLive, thresholds: demanding, livenessModel: "m" });
    expect(decision).toMatchObject({ failed: "liveness", livenessFailure: { challenge: null, passiveCues: [], passiveScore: 0.7 }, verification: { liveness: { score: 0.7, threshold: 0.8 } } });
  });

  it("reports no face as no_face, never as a liveness failure", () => {
    const decision = decideCheck({ match: { outcome: "no_face", coaching: null, framesUsed: 3 }, liveness: failed, passive: passiveSpoof, thresholds, livenessModel: "m" });
    expect(decision).toMatchObject({ decided: true, failed: "no_face", livenessFailure: null, verification: { outcome: "no_face" } });
  });
});
