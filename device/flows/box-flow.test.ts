import { describe, expect, it } from "vitest";
import { DEFAULT_BEHAVIOUR, type RosterEntry } from "../../firmware-config/box-settings.js";
import { initialFlowState, stepFlow, type FlowSettings, type FlowState } from "./box-flow.js";
import type { EventDraft, FlowCard, FlowEffect, FlowInput, Verification } from "./flow-types.js";

const REF_A = "a".repeat(64);
const REF_B = "b".repeat(64);
const REF_NURSE = "c".repeat(64);
const REF_OCCUPANT = "d".repeat(64);

function card(ref: string, masked = "1101**********1234"): FlowCard {
  return { cardType: "resident_id", ref, refKey: "pk-1", masked, person: { maskedName: "张*三", maskedId: masked } };
}

const roster: RosterEntry[] = [
  { ward: "5B", bed: "12", occupant: { ref: REF_OCCUPANT, refKey: "pk-1", masked: "3201**********0011" } },
  { ward: "5B", bed: "14" },
  { ward: "6A", bed: "01" },
];

function settings(mode: FlowSettings["mode"], overrides: Partial<FlowSettings> = {}): FlowSettings {
  return { mode, ward: mode === "ward_round" ? "5B" : null, refKey: "pk-1", behaviour: DEFAULT_BEHAVIOUR, roster, utcOffsetMin: 480, resultMs: 4000, maxFaceAttempts: 3, enrolmentFrames: 3, ...overrides };
}

const verified: Verification = {
  outcome: "verified",
  face: { metric: "euclidean_distance", score: 0.41, threshold: 0.6, model: "dlib-resnet-v1@2", template: "dlib-resnet-v1@2" },
  liveness: { method: "active_blink", score: 1, threshold: 1, model: "face-landmark-68@1" },
  attestation: null,
};
const mismatch: Verification = { ...verified, outcome: "face_mismatch", face: { metric: "euclidean_distance", score: 0.8, threshold: 0.6, model: "dlib-resnet-v1@2", template: "dlib-resnet-v1@2" } };
const noFace: Verification = { outcome: "no_face", face: null, liveness: null, attestation: null };

/** Runs inputs through the machine; returns the final state and every effect in order. */
function run(state: FlowState, inputs: readonly FlowInput[]): { state: FlowState; effects: FlowEffect[] } {
  const effects: FlowEffect[] = [];
  for (const input of inputs) {
    const step = stepFlow(state, input);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const screens = (effects: readonly FlowEffect[]): string[] => effects.flatMap((e) => (e.effect === "show" ? [e.screen.screen] : []));
const drafts = (effects: readonly FlowEffect[]): EventDraft[] => effects.flatMap((e) => (e.effect === "record" ? [e.draft] : []));
const reports = (effects: readonly FlowEffect[]): string[] => effects.flatMap((e) => (e.effect === "report" ? [e.report.report] : []));

const T0 = Date.UTC(2026, 10, 25, 2, 0); // 10:00 in China
const tap = (c: FlowCard, at: number): FlowInput => ({ type: "card", at, card: c });
const face = (verification: Verification, at: number, coaching: "too_dark" | "too_far" | null = null): FlowInput => ({ type: "face", at, outcome: { kind: "decided", verification, coaching } });
const recorded = (eventId: string, at: number): FlowInput => ({ type: "recorded", at, eventId });

describe("dialysis station", () => {
  it("goes card → look at camera → decision → record, and shows the result only after the outbox has it", () => {
    const start = initialFlowState(settings("dialysis_station"));
    const first = run(start, [tap(card(REF_A), T0)]);
    expect(screens(first.effects)).toEqual(["look_at_camera"]);
    expect(first.effects.some((e) => e.effect === "check_face")).toBe(true);
    const decided = run(first.state, [face(verified, T0 + 900)]);
    expect(screens(decided.effects)).toEqual([]);
    expect(drafts(decided.effects)).toEqual([{ kind: "dialysis.check_in", subject: { cardType: "resident_id", ref: REF_A, refKey: "pk-1", masked: "1101**********1234" }, verification: verified }]);
    const done = run(decided.state, [recorded("ev-in-1", T0 + 950)]);
    expect(done.effects).toEqual([{ effect: "show", screen: { screen: "result", person: card(REF_A).person, outcome: "verified", kind: "dialysis.check_in", failedPart: null } }]);
  });

  it("checks the same patient out at the end of the session, naming the check-in", () => {
    const inside = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), face(verified, T0 + 1), recorded("ev-in-1", T0 + 2)]);
    const later = T0 + 4 * 3600_000;
    const out = run(inside.state, [{ type: "tick", at: T0 + 10_000 }, tap(card(REF_A), later), face(verified, later + 1)]);
    expect(drafts(out.effects)).toMatchObject([{ kind: "dialysis.check_out", checkInId: "ev-in-1" }]);
    const closed = run(out.state, [recorded("ev-out-1", later + 2)]);
    expect(closed.state.dialysis.open).toEqual([]);
    expect(closed.effects).toMatchObject([{ effect: "show", screen: { screen: "result", kind: "dialysis.check_out", message: "session_closed" } }]);
  });

  it("treats repeated taps within the window as the same check and records nothing", () => {
    const inside = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), face(verified, T0 + 1), recorded("ev-in-1", T0 + 2)]);
    const again = run(inside.state, [tap(card(REF_A), T0 + 30_000), tap(card(REF_A), T0 + 60_000)]);
    expect(drafts(again.effects)).toEqual([]);
    expect(again.effects.some((e) => e.effect === "check_face")).toBe(false);
    expect(again.effects).toMatchObject([{ effect: "show", screen: { screen: "result", outcome: "verified", message: "already_recorded" } }, { effect: "show" }]);
    // After the window, the same card is a new check: the check-out.
    const after = run(again.state, [tap(card(REF_A), T0 + 121_000), face(verified, T0 + 121_500)]);
    expect(drafts(after.effects)).toMatchObject([{ kind: "dialysis.check_out", checkInId: "ev-in-1" }]);
  });

  it("lets a patient retry at once after a failed check: the retry is another check-in, not a check-out", () => {
    const failed = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), face(mismatch, T0 + 1), recorded("ev-1", T0 + 2)]);
    expect(failed.effects.slice(-2)).toMatchObject([{ effect: "record" }, { effect: "show", screen: { outcome: "face_mismatch", failedPart: "face" } }]);
    const retry = run(failed.state, [tap(card(REF_A), T0 + 5000), face(verified, T0 + 5001)]);
    expect(drafts(retry.effects)).toMatchObject([{ kind: "dialysis.check_in", verification: { outcome: "verified" } }]);
  });

  it("coaches on a quality rejection up to the attempt limit, then records no_face (never a mismatch)", () => {
    const s = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), face(noFace, T0 + 1, "too_dark"), face(noFace, T0 + 2, "too_far")]);
    expect(s.effects.filter((e) => e.effect === "show")).toMatchObject([
      { screen: { screen: "look_at_camera" } },
      { screen: { screen: "coaching", prompt: "too_dark" } },
      { screen: { screen: "coaching", prompt: "too_far" } },
    ]);
    expect(s.effects.flatMap((e) => (e.effect === "check_face" ? [e.attempt] : []))).toEqual([1, 2, 3]);
    const last = run(s.state, [face(noFace, T0 + 3, "too_dark")]);
    expect(drafts(last.effects)).toMatchObject([{ verification: { outcome: "no_face" } }]);
  });

  it("marks a watch-listed card's event whatever the face score, and asks for a staff check on screen", () => {
    const watched: FlowCard = { ...card(REF_A), watchListed: true };
    for (const verification of [verified, mismatch]) {
      const s = run(initialFlowState(settings("dialysis_station")), [tap(watched, T0), face(verification, T0 + 1), recorded("ev-w", T0 + 2)]);
      expect(drafts(s.effects)).toMatchObject([{ verification: { outcome: verification.outcome, watchListed: true } }]);
      expect(s.effects.at(-1)).toMatchObject({ effect: "show", screen: { screen: "result", outcome: verification.outcome, message: "staff_check_required" } });
    }
    const notEnrolled = run(initialFlowState(settings("dialysis_station")), [tap(watched, T0), { type: "face", at: T0 + 1, outcome: { kind: "not_enrolled" } }]);
    expect(drafts(notEnrolled.effects)).toMatchObject([{ verification: { outcome: "card_only", watchListed: true } }]);
    // A card not on the list carries no mark at all (the field is absent, not false).
    const plain = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_B), T0), face(verified, T0 + 1)]);
    expect(drafts(plain.effects)[0]?.verification).not.toHaveProperty("watchListed");
  });

  it("asks for a staff check when the face itself is on the watch list, whatever card was presented, and keeps whose face it was", () => {
    const onOwnCard = { ...verified, watchListedFace: true as const };
    const onOtherCard = { ...mismatch, watchListedFace: true as const, faceIdentifiedAs: { ref: REF_B, score: 0.41, threshold: 0.6 } };
    for (const verification of [onOwnCard, onOtherCard]) {
      const s = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), face(verification, T0 + 1), recorded("ev-f", T0 + 2)]);
      expect(drafts(s.effects)[0]?.verification).toEqual(verification);
      expect(s.effects.at(-1)).toMatchObject({ effect: "show", screen: { screen: "result", outcome: verification.outcome, message: "staff_check_required" } });
    }
    // A mismatch whose face was identified but is not watched is an ordinary mismatch on screen.
    const identified = { ...mismatch, faceIdentifiedAs: { ref: REF_B, score: 0.41, threshold: 0.6 } };
    const s = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), face(identified, T0 + 1), recorded("ev-g", T0 + 2)]);
    expect(s.effects.at(-1)).toMatchObject({ effect: "show", screen: { outcome: "face_mismatch" } });
    expect(s.effects.at(-1)).not.toMatchObject({ screen: { message: "staff_check_required" } });
  });

  it("records card_only when the card has no enrolled template or the camera gave nothing, and says the face was not checked", () => {
    for (const outcome of [{ kind: "not_enrolled" as const }, { kind: "camera_problem" as const, detail: "no frame in 3 s" }]) {
      const s = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_B), T0), { type: "face", at: T0 + 1, outcome }, recorded("ev-2", T0 + 2)]);
      expect(drafts(s.effects)).toMatchObject([{ kind: "dialysis.check_in", verification: { outcome: "card_only", face: null } }]);
      expect(s.effects.at(-1)).toMatchObject({ effect: "show", screen: { outcome: "card_only", message: "face_not_checked" } });
    }
  });

  it("reports a check-in without check-out once, after the maximum session duration", () => {
    const inside = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), face(verified, T0 + 1), recorded("ev-in-1", T0 + 2)]);
    const max = DEFAULT_BEHAVIOUR.maxDialysisSessionMin * 60_000;
    const ticks = run(inside.state, [{ type: "tick", at: T0 + max - 1000 }, { type: "tick", at: T0 + max + 1000 }, { type: "tick", at: T0 + max + 60_000 }]);
    expect(ticks.effects.filter((e) => e.effect === "report")).toEqual([
      { effect: "report", report: { report: "session_overdue", checkInId: "ev-in-1", subjectMasked: "1101**********1234", since: T0 + 2, maxMinutes: DEFAULT_BEHAVIOUR.maxDialysisSessionMin } },
    ]);
    // A late check-out still closes it.
    const late = run(ticks.state, [tap(card(REF_A), T0 + max + 120_000), face(verified, T0 + max + 120_001)]);
    expect(drafts(late.effects)).toMatchObject([{ kind: "dialysis.check_out", checkInId: "ev-in-1" }]);
  });

  it("ignores a second card while a check is in progress, and returns to idle after the result", () => {
    const busy = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), tap(card(REF_B), T0 + 10)]);
    expect(busy.effects.filter((e) => e.effect === "check_face")).toHaveLength(1);
    const done = run(busy.state, [face(verified, T0 + 20), recorded("e", T0 + 30), { type: "tick", at: T0 + 30 + 3999 }, { type: "tick", at: T0 + 30 + 4000 }]);
    expect(screens(done.effects)).toEqual(["result", "idle"]);
    expect(done.state.activity.kind).toBe("idle");
  });

  it("records a refused (invalid) card once as card_unreadable without a subject, and only shows a failed read", () => {
    const s = run(initialFlowState(settings("dialysis_station")), [
      { type: "card_problem", at: T0, problem: "unreadable", detail: "read_failed: timeout" },
      { type: "card_problem", at: T0 + 10, problem: "invalid_card", detail: "check digit" },
    ]);
    expect(drafts(s.effects)).toEqual([{ kind: "dialysis.check_in", subject: { cardType: "none", ref: null, refKey: "pk-1", masked: null }, verification: { outcome: "card_unreadable", face: null, liveness: null, attestation: null } }]);
    expect(reports(s.effects)).toEqual(["card_problem", "card_problem"]);
    const again = run(run(s.state, [recorded("e", T0 + 20)]).state, [{ type: "card_problem", at: T0 + 30, problem: "invalid_card", detail: "check digit" }]);
    expect(drafts(again.effects)).toEqual([]);
    expect(screens(again.effects)).toEqual(["card_problem"]);
  });

  it("shows 'not recorded' rather than done when the outbox write fails", () => {
    const s = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), face(verified, T0 + 1), { type: "record_failed", at: T0 + 2, detail: "disk full" }]);
    expect(s.effects.slice(-2)).toMatchObject([{ effect: "report", report: { report: "record_failed" } }, { effect: "show", screen: { outcome: "not_recorded" } }]);
    expect(s.state.dialysis.open).toEqual([]);
  });
});

describe("ward round", () => {
  const startRound = (at: number): FlowInput[] => [{ type: "action", at, action: { action: "start_round", role: "doctor", roundId: "0190c2a4-5d7e-7000-8000-000000000001" } }, tap(card(REF_NURSE), at + 1)];

  it("starts with the operator's card, offers the roster's beds, and records a bedside check with bed and round", () => {
    const s = run(initialFlowState(settings("ward_round")), [...startRound(T0), { type: "action", at: T0 + 2, action: { action: "pick_bed", ward: "5B", bed: "12" } }, tap(card(REF_OCCUPANT), T0 + 3), face(verified, T0 + 4)]);
    expect(s.effects.find((e) => e.effect === "show" && e.screen.screen === "pick_bed")).toEqual({
      effect: "show",
      screen: { screen: "pick_bed", ward: "5B", beds: [{ bed: "12", person: { maskedName: "*", maskedId: "3201**********0011" } }, { bed: "14", person: null }] },
    });
    expect(drafts(s.effects)).toMatchObject([{ kind: "ward.bedside_check", bed: { ward: "5B", bed: "12" }, round: { id: "0190c2a4-5d7e-7000-8000-000000000001", shift: "day", operatorRef: REF_NURSE, operatorRole: "doctor" }, verification: { outcome: "verified" } }]);
    const back = run(run(s.state, [recorded("e", T0 + 5)]).state, [{ type: "tick", at: T0 + 10_000 }]);
    expect(screens(back.effects)).toEqual(["pick_bed"]);
  });

  it("records 'patient absent' as a first-class outcome under the roster's occupant, with bed, time and operator", () => {
    const s = run(initialFlowState(settings("ward_round")), [...startRound(T0), { type: "action", at: T0 + 2, action: { action: "scan_bed", code: "BED:5B/12" } }, { type: "action", at: T0 + 3, action: { action: "patient_absent" } }]);
    expect(drafts(s.effects)).toEqual([
      {
        kind: "ward.bedside_check",
        subject: { cardType: "none", ref: REF_OCCUPANT, refKey: "pk-1", masked: "3201**********0011" },
        verification: { outcome: "absent", face: null, liveness: null, attestation: null },
        bed: { ward: "5B", bed: "12" },
        round: { id: "0190c2a4-5d7e-7000-8000-000000000001", shift: "day", operatorRef: REF_NURSE, operatorRole: "doctor" },
      },
    ]);
    // An unassigned bed: absent with an unknown subject.
    const empty = run(run(s.state, [recorded("e", T0 + 4)]).state, [{ type: "action", at: T0 + 5, action: { action: "pick_bed", ward: "5B", bed: "14" } }, { type: "action", at: T0 + 6, action: { action: "patient_absent" } }]);
    expect(drafts(empty.effects)).toMatchObject([{ subject: { cardType: "none", ref: null, masked: null }, verification: { outcome: "absent" } }]);
  });

  it("at night sets the camera's exposure from configuration, and a dark frame ends as no_face, never a mismatch", () => {
    const night = Date.UTC(2026, 10, 25, 15, 30); // 23:30 in China
    const behaviour = { ...DEFAULT_BEHAVIOUR, nightMode: { from: "21:00", to: "06:00", exposure: "ir" as const } };
    const s = run(initialFlowState(settings("ward_round", { behaviour, maxFaceAttempts: 2 })), [
      ...startRound(night),
      { type: "action", at: night + 2, action: { action: "pick_bed", ward: "5B", bed: "12" } },
      tap(card(REF_OCCUPANT), night + 3),
      face(noFace, night + 4, "too_dark"),
      face(noFace, night + 5, "too_dark"),
    ]);
    expect(s.effects.find((e) => e.effect === "set_exposure")).toEqual({ effect: "set_exposure", exposure: "ir" });
    expect(s.effects.filter((e) => e.effect === "show" && e.screen.screen === "coaching")).toMatchObject([{ screen: { prompt: "too_dark" } }]);
    expect(drafts(s.effects)).toMatchObject([{ round: { shift: "night" }, verification: { outcome: "no_face" } }]);
    const ended = run(run(s.state, [recorded("e", night + 6)]).state, [{ type: "action", at: night + 7, action: { action: "end_round" } }]);
    expect(ended.effects[0]).toEqual({ effect: "set_exposure", exposure: "auto" });
    expect(ended.state.round).toBeNull();
  });

  it("refuses a patient card before a bed is picked, a card outside a round, and an unreadable bed code", () => {
    const outside = run(initialFlowState(settings("ward_round")), [tap(card(REF_A), T0)]);
    expect(reports(outside.effects)).toEqual(["refused"]);
    const s = run(initialFlowState(settings("ward_round")), [...startRound(T0), tap(card(REF_A), T0 + 2), { type: "action", at: T0 + 3, action: { action: "scan_bed", code: "5B/12/evil" } }]);
    expect(reports(s.effects)).toEqual(["refused", "refused"]);
    expect(drafts(s.effects)).toEqual([]);
    expect(s.state.activity.kind).toBe("picking_bed");
  });
});

describe("enrolment supervised by a nurse", () => {
  it("takes the nurse's card first, then the patient's, captures, and reports the outcome", () => {
    const s = run(initialFlowState(settings("dialysis_station")), [{ type: "action", at: T0, action: { action: "start_enrolment" } }, tap(card(REF_NURSE), T0 + 1), tap(card(REF_A), T0 + 2)]);
    expect(s.effects.flatMap((e) => (e.effect === "show" ? [e.screen] : []))).toMatchObject([
      { screen: "nurse_card", purpose: "enrolment" },
      { screen: "enrolment", step: "patient_card", person: null },
      { screen: "enrolment", step: "capturing", person: { maskedId: "1101**********1234" } },
    ]);
    expect(s.effects.at(-1)).toEqual({ effect: "enrol", card: card(REF_A), nurseRef: REF_NURSE });
    const enrolled = run(s.state, [{ type: "enrolled", at: T0 + 3, outcome: { ok: true, goodFrames: 4, duplicateOf: [REF_B], model: "dlib-resnet-v1@2" } }]);
    expect(enrolled.effects[0]).toMatchObject({ report: { report: "enrolment", ok: true, nurseRef: REF_NURSE, patientRef: REF_A, duplicates: 1 } });
    // The enrolment is recorded as an event naming the nurse and the other card the face is enrolled under…
    expect(drafts(enrolled.effects)).toEqual([
      {
        kind: "enrolment.face_enrolled",
        subject: { cardType: "resident_id", ref: REF_A, refKey: "pk-1", masked: "1101**********1234" },
        verification: { outcome: "enrolled", face: null, liveness: null, attestation: null },
        enrolment: { staffRef: REF_NURSE, staffRole: "nurse", model: "dlib-resnet-v1@2", frames: 4, duplicateOf: [REF_B] },
      },
    ]);
    expect(screens(enrolled.effects)).toEqual([]);
    // …and "done" is shown once the outbox has it.
    const done = run(enrolled.state, [recorded("ev-enrol", T0 + 4)]);
    expect(done.effects).toMatchObject([{ effect: "show", screen: { screen: "enrolment", step: "done", goodFrames: 4 } }]);
    expect(done.state.dialysis.open).toEqual([]);
  });

  it("refuses the nurse's own card as the patient's and reports a failed capture with its problem", () => {
    const s = run(initialFlowState(settings("dialysis_station")), [{ type: "action", at: T0, action: { action: "start_enrolment" } }, tap(card(REF_NURSE), T0 + 1), tap(card(REF_NURSE), T0 + 2)]);
    expect(reports(s.effects)).toEqual(["refused"]);
    expect(s.state.activity.kind).toBe("enrol_patient");
    const failed = run(s.state, [tap(card(REF_A), T0 + 3), { type: "enrolled", at: T0 + 4, outcome: { ok: false, goodFrames: 1, framesNeeded: 3, problem: "too_dark" } }]);
    expect(failed.effects).toContainEqual({ effect: "show", screen: { screen: "enrolment", person: card(REF_A).person, step: "failed", goodFrames: 1, framesNeeded: 3, problem: "too_dark" } });
  });
});

describe("nurse attestation", () => {
  it("nurse card + patient card + reason → an event marked attested with the attestation block", () => {
    const s = run(initialFlowState(settings("dialysis_station")), [
      { type: "action", at: T0, action: { action: "start_attestation" } },
      tap(card(REF_NURSE), T0 + 1),
      tap(card(REF_A), T0 + 2),
      { type: "action", at: T0 + 3, action: { action: "choose_reason", reason: "facial_paralysis" } },
    ]);
    expect(screens(s.effects)).toEqual(["nurse_card", "place_card", "attestation"]);
    expect(drafts(s.effects)).toEqual([
      { kind: "dialysis.check_in", subject: { cardType: "resident_id", ref: REF_A, refKey: "pk-1", masked: "1101**********1234" }, verification: { outcome: "attested", face: null, liveness: null, attestation: { staffRef: REF_NURSE, staffRole: "nurse", reason: "facial_paralysis" } } },
    ]);
    const done = run(s.state, [recorded("ev-att", T0 + 4)]);
    expect(done.effects).toEqual([{ effect: "show", screen: { screen: "attestation", person: card(REF_A).person, step: "done" } }]);
    expect(done.state.dialysis.open).toMatchObject([{ ref: REF_A, checkInId: "ev-att" }]);
  });

  it("refuses self-attestation and a reason with no attestation waiting; a ward attestation carries the bed", () => {
    const self = run(initialFlowState(settings("dialysis_station")), [{ type: "action", at: T0, action: { action: "start_attestation" } }, tap(card(REF_NURSE), T0 + 1), tap(card(REF_NURSE), T0 + 2)]);
    expect(reports(self.effects)).toEqual(["refused"]);
    const stray = run(initialFlowState(settings("dialysis_station")), [{ type: "action", at: T0, action: { action: "choose_reason", reason: "bandage" } }]);
    expect(reports(stray.effects)).toEqual(["refused"]);
    const ward = run(initialFlowState(settings("ward_round")), [
      { type: "action", at: T0, action: { action: "start_round", role: "nurse", roundId: "0190c2a4-5d7e-7000-8000-000000000002" } },
      tap(card(REF_NURSE), T0 + 1),
      { type: "action", at: T0 + 2, action: { action: "pick_bed", ward: "5B", bed: "14" } },
      { type: "action", at: T0 + 3, action: { action: "start_attestation" } },
      tap(card(REF_NURSE), T0 + 4),
      tap(card(REF_B), T0 + 5),
      { type: "action", at: T0 + 6, action: { action: "choose_reason", reason: "bandage", note: "head wound" } },
    ]);
    expect(drafts(ward.effects)).toMatchObject([{ kind: "ward.bedside_check", bed: { ward: "5B", bed: "14" }, verification: { outcome: "attested", attestation: { reason: "bandage", note: "head wound" } } }]);
  });

  it("cancel returns home from any step except while the event is being recorded", () => {
    const mid = run(initialFlowState(settings("dialysis_station")), [{ type: "action", at: T0, action: { action: "start_attestation" } }, { type: "action", at: T0 + 1, action: { action: "cancel" } }]);
    expect(mid.state.activity.kind).toBe("idle");
    const recording = run(initialFlowState(settings("dialysis_station")), [tap(card(REF_A), T0), face(verified, T0 + 1), { type: "action", at: T0 + 2, action: { action: "cancel" } }]);
    expect(recording.state.activity.kind).toBe("recording");
    expect(reports(recording.effects)).toEqual(["refused"]);
  });
});
