import type { BehaviourSettings, RosterEntry } from "../../firmware-config/box-settings.js";
import type { Outcome } from "../../protocol/index.js";
import type { KioskPerson, KioskScreen } from "../ports.js";
import { EMPTY_DIALYSIS_MEMORY, openSessionOf, recordCheck, repeatOf, takeOverdue, type DialysisMemory } from "./dialysis-sessions.js";
import type { AttestationReason, BedRef, EventDraft, FlowCard, FlowEffect, FlowInput, KioskAction, Verification, WardRound } from "./flow-types.js";
import { bedsOf, isNight, parseBedCode, rosterEntryOf } from "./ward-beds.js";

/**
 * The box's flows as one pure state machine: `stepFlow(state, input)` returns the next state and the
 * effects the agent performs. Both roles share it:
 *
 * - dialysis station: card → face (coached retries) → decision → the event is recorded → result.
 *   A patient with an open session checks out (naming the check-in); a tap within the repeat window
 *   of a completed check repeats its result and records nothing; a session past the maximum duration
 *   is reported once.
 * - ward round: the operator starts a round (role) and taps their own card; then per bed: pick it
 *   from the roster or scan its code, the patient's card + face → bedside check, or "patient absent"
 *   recorded under the roster's occupant with the bed, time and operator. At night the camera's
 *   exposure is set from configuration; a dark frame is "too dark" (coaching, then no_face), never a
 *   mismatch: the face pipeline's quality gate says so before any comparison.
 * - enrolment, supervised: nurse card, patient card (not the nurse's), quality-gated capture.
 * - nurse attestation: nurse card, patient card, reason → an event with outcome `attested`.
 *
 * Nothing is shown as done before the outbox has the event: the result screen follows the agent's
 * `recorded` input, never the `record` effect.
 */
export interface FlowSettings {
  readonly mode: "dialysis_station" | "ward_round";
  /** The ward of a ward-round box (its configured location); null: every ward of the roster. */
  readonly ward: string | null;
  /** Pseudonym key id, for subjects taken from the roster. */
  readonly refKey: string;
  readonly behaviour: BehaviourSettings;
  readonly roster: readonly RosterEntry[];
  /** The box's offset from UTC in minutes, for the night window (China: +480). */
  readonly utcOffsetMin: number;
  /** How long a result stays on screen. */
  readonly resultMs: number;
  /** Face bursts per check when the quality gate coaches ("move closer", "too dark"). */
  readonly maxFaceAttempts: number;
  /** Good frames an enrolment needs (shown on the enrolment screen). */
  readonly enrolmentFrames: number;
}

type Target = { readonly kind: "dialysis" } | { readonly kind: "ward"; readonly bed: BedRef };

export type Activity =
  | { readonly kind: "idle" }
  | { readonly kind: "awaiting_operator"; readonly role: WardRound["operatorRole"]; readonly roundId: string }
  | { readonly kind: "picking_bed" }
  | { readonly kind: "awaiting_patient"; readonly bed: BedRef }
  | { readonly kind: "checking"; readonly card: FlowCard; readonly target: Target; readonly attempt: number }
  | { readonly kind: "recording"; readonly draft: EventDraft; readonly person: KioskPerson | null; readonly screen: "result" | "attestation" | "enrolment" }
  | { readonly kind: "showing"; readonly until: number }
  | { readonly kind: "enrol_nurse" }
  | { readonly kind: "enrol_patient"; readonly nurseRef: string }
  | { readonly kind: "enrolling"; readonly nurseRef: string; readonly card: FlowCard }
  | { readonly kind: "attest_nurse"; readonly target: Target }
  | { readonly kind: "attest_patient"; readonly nurseRef: string; readonly target: Target }
  | { readonly kind: "attest_reason"; readonly nurseRef: string; readonly card: FlowCard; readonly target: Target };

export interface FlowState {
  readonly settings: FlowSettings;
  readonly activity: Activity;
  readonly dialysis: DialysisMemory;
  readonly round: WardRound | null;
  /** When the last refused card was recorded, so one bad card held on the reader is one event. */
  readonly lastInvalidCardAt: number | null;
}

export interface FlowStep {
  readonly state: FlowState;
  readonly effects: readonly FlowEffect[];
}

export function initialFlowState(settings: FlowSettings, dialysis: DialysisMemory = EMPTY_DIALYSIS_MEMORY): FlowState {
  return { settings, activity: { kind: "idle" }, dialysis, round: null, lastInvalidCardAt: null };
}

/** The screen of the current resting activity (what the kiosk shows on connecting). */
export function homeScreen(state: FlowState): KioskScreen {
  if (state.settings.mode === "ward_round" && state.round !== null) return pickBedScreen(state);
  return { screen: "idle", mode: state.settings.mode };
}

export function stepFlow(state: FlowState, input: FlowInput): FlowStep {
  switch (input.type) {
    case "tick":
      return onTick(state, input.at);
    case "card":
      return onCard(state, input.card, input.at);
    case "card_problem":
      return onCardProblem(state, input.problem, input.detail, input.at);
    case "face":
      return onFace(state, input);
    case "recorded":
      return onRecorded(state, input.eventId, input.at);
    case "record_failed":
      return onRecordFailed(state, input.detail, input.at);
    case "enrolled":
      return onEnrolled(state, input);
    case "action":
      return onAction(state, input.action);
  }
}

const show = (screen: KioskScreen): FlowEffect => ({ effect: "show", screen });
const refused = (detail: string): FlowEffect => ({ effect: "report", report: { report: "refused", detail } });

function home(state: FlowState): FlowStep {
  const activity: Activity = state.settings.mode === "ward_round" && state.round !== null ? { kind: "picking_bed" } : { kind: "idle" };
  const next = { ...state, activity };
  return { state: next, effects: [show(homeScreen(next))] };
}

/** At rest: nothing in progress that a card or an action could interrupt. */
function atRest(activity: Activity): boolean {
  return activity.kind === "idle" || activity.kind === "picking_bed" || activity.kind === "showing";
}

function pickBedScreen(state: FlowState): KioskScreen {
  const { ward, beds } = bedsOf(state.settings.roster, state.settings.ward);
  return { screen: "pick_bed", ward, beds };
}

function onTick(state: FlowState, at: number): FlowStep {
  const effects: FlowEffect[] = [];
  let next = state;
  if (state.settings.mode === "dialysis_station") {
    const { memory, overdue } = takeOverdue(state.dialysis, at, state.settings.behaviour.maxDialysisSessionMin);
    next = { ...next, dialysis: memory };
    for (const s of overdue) {
      effects.push({ effect: "report", report: { report: "session_overdue", checkInId: s.checkInId, subjectMasked: s.masked, since: s.at, maxMinutes: state.settings.behaviour.maxDialysisSessionMin } });
    }
  }
  if (next.activity.kind === "showing" && at >= next.activity.until) {
    const back = home(next);
    return { state: back.state, effects: [...effects, ...back.effects] };
  }
  return { state: next, effects };
}

/** A watch-listed card's event carries the mark whatever the outcome, so the gateway raises its live alert. */
function marked(card: FlowCard, verification: Verification): Verification {
  return card.watchListed === true ? { ...verification, watchListed: true } : verification;
}

function subjectOf(card: FlowCard): EventDraft["subject"] {
  return { cardType: card.cardType, ref: card.ref, refKey: card.refKey, masked: card.masked };
}

function onCard(state: FlowState, card: FlowCard, at: number): FlowStep {
  const activity = state.activity;
  switch (activity.kind) {
    case "idle":
    case "showing":
      if (state.settings.mode === "dialysis_station") return startDialysisCheck(state, card, at);
      return { state, effects: [refused("a card outside a round: start a round first")] };
    case "picking_bed":
      return { state, effects: [refused("pick the bed before the patient's card")] };
    case "awaiting_operator": {
      const shift = isNight(at, state.settings.behaviour.nightMode, state.settings.utcOffsetMin) ? "night" : "day";
      const round: WardRound = { id: activity.roundId, shift, operatorRef: card.ref, operatorRole: activity.role };
      const next: FlowState = { ...state, round, activity: { kind: "picking_bed" } };
      const exposure = shift === "night" ? state.settings.behaviour.nightMode.exposure : "auto";
      return { state: next, effects: [{ effect: "set_exposure", exposure }, show(pickBedScreen(next))] };
    }
    case "awaiting_patient":
      return startCheck(state, card, { kind: "ward", bed: activity.bed });
    case "enrol_nurse":
      return {
        state: { ...state, activity: { kind: "enrol_patient", nurseRef: card.ref } },
        effects: [show({ screen: "enrolment", person: null, step: "patient_card", goodFrames: 0, framesNeeded: state.settings.enrolmentFrames })],
      };
    case "enrol_patient":
      if (card.ref === activity.nurseRef) return { state, effects: [refused("the nurse's own card cannot be the patient's")] };
      return {
        state: { ...state, activity: { kind: "enrolling", nurseRef: activity.nurseRef, card } },
        effects: [
          show({ screen: "enrolment", person: card.person, step: "capturing", goodFrames: 0, framesNeeded: state.settings.enrolmentFrames }),
          { effect: "enrol", card, nurseRef: activity.nurseRef },
        ],
      };
    case "attest_nurse":
      return { state: { ...state, activity: { kind: "attest_patient", nurseRef: card.ref, target: activity.target } }, effects: [show({ screen: "place_card" })] };
    case "attest_patient":
      if (card.ref === activity.nurseRef) return { state, effects: [refused("a nurse cannot attest for themself")] };
      return {
        state: { ...state, activity: { kind: "attest_reason", nurseRef: activity.nurseRef, card, target: activity.target } },
        effects: [show({ screen: "attestation", person: card.person, step: "choose_reason" })],
      };
    case "checking":
    case "recording":
    case "enrolling":
    case "attest_reason":
      return { state, effects: [] };
  }
}

function startDialysisCheck(state: FlowState, card: FlowCard, at: number): FlowStep {
  const repeat = repeatOf(state.dialysis, card.ref, at, state.settings.behaviour.repeatTapWindowS);
  if (repeat !== undefined) {
    return {
      state: { ...state, activity: { kind: "showing", until: at + state.settings.resultMs } },
      effects: [show({ screen: "result", person: card.person, outcome: repeat.outcome, kind: repeat.kind, failedPart: null, message: "already_recorded" })],
    };
  }
  return startCheck(state, card, { kind: "dialysis" });
}

function startCheck(state: FlowState, card: FlowCard, target: Target): FlowStep {
  return {
    state: { ...state, activity: { kind: "checking", card, target, attempt: 1 } },
    effects: [show({ screen: "look_at_camera", person: card.person }), { effect: "check_face", card, attempt: 1 }],
  };
}

function draftFor(state: FlowState, target: Target, subject: EventDraft["subject"], verification: Verification): EventDraft | null {
  if (target.kind === "ward") {
    if (state.round === null) return null;
    return { kind: "ward.bedside_check", subject, verification, bed: target.bed, round: state.round };
  }
  const open = subject.ref === null ? undefined : openSessionOf(state.dialysis, subject.ref);
  if (open !== undefined) return { kind: "dialysis.check_out", subject, verification, checkInId: open.checkInId };
  return { kind: "dialysis.check_in", subject, verification };
}

function record(state: FlowState, draft: EventDraft | null, person: KioskPerson | null, screen: "result" | "attestation" | "enrolment" = "result"): FlowStep {
  if (draft === null) return { state, effects: [refused("no ward round in progress")] };
  return { state: { ...state, activity: { kind: "recording", draft, person, screen } }, effects: [{ effect: "record", draft }] };
}

const NO_SCORES = { face: null, liveness: null, attestation: null } as const;

function onFace(state: FlowState, input: Extract<FlowInput, { type: "face" }>): FlowStep {
  const activity = state.activity;
  if (activity.kind !== "checking") return { state, effects: [] };
  const { card, target } = activity;
  const outcome = input.outcome;
  switch (outcome.kind) {
    case "decided": {
      if (outcome.verification.outcome === "no_face" && outcome.coaching !== null && activity.attempt < state.settings.maxFaceAttempts) {
        const attempt = activity.attempt + 1;
        return {
          state: { ...state, activity: { ...activity, attempt } },
          effects: [show({ screen: "coaching", person: card.person, prompt: outcome.coaching }), { effect: "check_face", card, attempt }],
        };
      }
      return record(state, draftFor(state, target, subjectOf(card), marked(card, outcome.verification)), card.person);
    }
    case "not_enrolled":
      return record(state, draftFor(state, target, subjectOf(card), marked(card, { outcome: "card_only", ...NO_SCORES })), card.person);
    case "camera_problem":
      return record(state, draftFor(state, target, subjectOf(card), marked(card, { outcome: "card_only", ...NO_SCORES })), card.person);
  }
}

function failedPartOf(outcome: Outcome): "face" | "liveness" | "card" | null {
  if (outcome === "face_mismatch" || outcome === "no_face") return "face";
  if (outcome === "suspected_spoof") return "liveness";
  if (outcome === "card_unreadable") return "card";
  return null;
}

function messageOf(draft: EventDraft): string | undefined {
  if (draft.verification.watchListed === true || draft.verification.watchListedFace === true) return "staff_check_required";
  if (draft.verification.outcome === "card_only") return "face_not_checked";
  if (draft.kind === "dialysis.check_out") return "session_closed";
  return undefined;
}

function onRecorded(state: FlowState, eventId: string, at: number): FlowStep {
  const activity = state.activity;
  if (activity.kind !== "recording") return { state, effects: [] };
  const { draft } = activity;
  let dialysis = state.dialysis;
  if ((draft.kind === "dialysis.check_in" || draft.kind === "dialysis.check_out") && draft.subject.ref !== null && draft.subject.masked !== null) {
    dialysis = recordCheck(dialysis, { ref: draft.subject.ref, masked: draft.subject.masked, kind: draft.kind, outcome: draft.verification.outcome, at, eventId }, state.settings.behaviour.repeatTapWindowS);
  }
  const message = messageOf(draft);
  const screen: KioskScreen =
    draft.kind === "enrolment.face_enrolled"
      ? { screen: "enrolment", person: activity.person, step: "done", goodFrames: draft.enrolment.frames, framesNeeded: state.settings.enrolmentFrames }
      : activity.screen === "attestation" && activity.person !== null
      ? { screen: "attestation", person: activity.person, step: "done" }
      : { screen: "result", person: activity.person, outcome: draft.verification.outcome, kind: draft.kind, failedPart: failedPartOf(draft.verification.outcome), ...(message === undefined ? {} : { message }) };
  return { state: { ...state, dialysis, activity: { kind: "showing", until: at + state.settings.resultMs } }, effects: [show(screen)] };
}

function onRecordFailed(state: FlowState, detail: string, at: number): FlowStep {
  const activity = state.activity;
  if (activity.kind !== "recording") return { state, effects: [] };
  return {
    state: { ...state, activity: { kind: "showing", until: at + state.settings.resultMs } },
    effects: [
      { effect: "report", report: { report: "record_failed", detail } },
      show({ screen: "result", person: activity.person, outcome: "not_recorded", kind: activity.draft.kind, failedPart: null, message: "not_recorded" }),
    ],
  };
}

function onCardProblem(state: FlowState, problem: "unreadable" | "invalid_card" | "reader_offline", detail: string, at: number): FlowStep {
  const reported: FlowEffect = { effect: "report", report: { report: "card_problem", problem, detail } };
  const activity = state.activity;
  const dialysisAtRest = state.settings.mode === "dialysis_station" && (activity.kind === "idle" || activity.kind === "showing");
  const wardPatient = activity.kind === "awaiting_patient";
  if (!dialysisAtRest && !wardPatient) return { state, effects: [reported] };
  const screen = show({ screen: "card_problem", problem });
  const window = state.settings.behaviour.repeatTapWindowS * 1000;
  const repeat = state.lastInvalidCardAt !== null && at - state.lastInvalidCardAt < window;
  if (problem !== "invalid_card" || repeat) {
    // A failed read is retried by the patient; only a card read and refused is a check to record.
    const next: Activity = wardPatient ? activity : { kind: "showing", until: at + state.settings.resultMs };
    return { state: { ...state, activity: next }, effects: [reported, screen] };
  }
  const subject: EventDraft["subject"] = { cardType: "none", ref: null, refKey: state.settings.refKey, masked: null };
  const target: Target = wardPatient ? { kind: "ward", bed: activity.bed } : { kind: "dialysis" };
  const step = record({ ...state, lastInvalidCardAt: at }, draftFor(state, target, subject, { outcome: "card_unreadable", ...NO_SCORES }), null);
  return { state: step.state, effects: [reported, screen, ...step.effects] };
}

function onEnrolled(state: FlowState, input: Extract<FlowInput, { type: "enrolled" }>): FlowStep {
  const activity = state.activity;
  if (activity.kind !== "enrolling") return { state, effects: [] };
  const outcome = input.outcome;
  const report: FlowEffect = { effect: "report", report: { report: "enrolment", ok: outcome.ok, nurseRef: activity.nurseRef, patientRef: activity.card.ref, duplicates: outcome.ok ? outcome.duplicateOf.length : 0 } };
  if (outcome.ok) {
    // The enrolment is an event too (who enrolled whom, and any other card the face is already enrolled
    // under: the gateway raises "one face, two cards" on it); "done" follows the outbox, as for checks.
    const draft: EventDraft = {
      kind: "enrolment.face_enrolled",
      subject: subjectOf(activity.card),
      verification: { outcome: "enrolled", ...NO_SCORES },
      enrolment: { staffRef: activity.nurseRef, staffRole: "nurse", model: outcome.model, frames: outcome.goodFrames, duplicateOf: outcome.duplicateOf.slice(0, 10) },
    };
    const step = record(state, draft, activity.card.person, "enrolment");
    return { state: step.state, effects: [report, ...step.effects] };
  }
  const screen: KioskScreen = { screen: "enrolment", person: activity.card.person, step: "failed", goodFrames: outcome.goodFrames, framesNeeded: outcome.framesNeeded, problem: outcome.problem };
  return { state: { ...state, activity: { kind: "showing", until: input.at + state.settings.resultMs } }, effects: [show(screen), report] };
}

function onAction(state: FlowState, action: KioskAction): FlowStep {
  const activity = state.activity;
  switch (action.action) {
    case "cancel":
      return activity.kind === "recording" ? { state, effects: [refused("the check is being recorded")] } : home(state);
    case "start_enrolment":
      if (!atRest(activity)) return { state, effects: [refused("finish or cancel the current step first")] };
      return { state: { ...state, activity: { kind: "enrol_nurse" } }, effects: [show({ screen: "nurse_card", purpose: "enrolment" })] };
    case "start_attestation": {
      const target: Target | null =
        state.settings.mode === "dialysis_station" ? (atRest(activity) ? { kind: "dialysis" } : null) : activity.kind === "awaiting_patient" ? { kind: "ward", bed: activity.bed } : null;
      if (target === null) return { state, effects: [refused(state.settings.mode === "ward_round" ? "pick the bed before an attestation" : "finish or cancel the current step first")] };
      return { state: { ...state, activity: { kind: "attest_nurse", target } }, effects: [show({ screen: "nurse_card", purpose: "attestation" })] };
    }
    case "choose_reason":
      if (activity.kind !== "attest_reason") return { state, effects: [refused("no attestation waiting for a reason")] };
      return attest(state, activity, action.reason, action.note);
    case "start_round":
      if (state.settings.mode !== "ward_round" || state.round !== null || !atRest(activity)) return { state, effects: [refused("a round is already in progress or this is not a ward-round box")] };
      return { state: { ...state, activity: { kind: "awaiting_operator", role: action.role, roundId: action.roundId } }, effects: [show({ screen: "place_card" })] };
    case "end_round":
      if (state.round === null || !atRest(activity)) return { state, effects: [refused("no round to end, or a check in progress")] };
      return { state: { ...state, round: null, activity: { kind: "idle" } }, effects: [{ effect: "set_exposure", exposure: "auto" }, show({ screen: "idle", mode: state.settings.mode })] };
    case "pick_bed":
    case "scan_bed": {
      if (state.round === null || (activity.kind !== "picking_bed" && activity.kind !== "awaiting_patient" && activity.kind !== "showing")) {
        return { state, effects: [refused("pick a bed during a round, between checks")] };
      }
      const bed = action.action === "pick_bed" ? { ward: action.ward, bed: action.bed } : parseBedCode(action.code);
      if (bed === null) return { state, effects: [refused(`unreadable bed code (${action.action === "scan_bed" ? action.code.slice(0, 40) : ""})`)] };
      return { state: { ...state, activity: { kind: "awaiting_patient", bed } }, effects: [show({ screen: "place_card" })] };
    }
    case "patient_absent":
      if (activity.kind !== "awaiting_patient") return { state, effects: [refused("pick the bed first")] };
      return recordAbsent(state, activity.bed);
  }
}

function attest(state: FlowState, activity: Extract<Activity, { kind: "attest_reason" }>, reason: AttestationReason, note: string | undefined): FlowStep {
  const verification: Verification = {
    outcome: "attested",
    face: null,
    liveness: null,
    attestation: { staffRef: activity.nurseRef, staffRole: "nurse", reason, ...(note === undefined ? {} : { note: note.slice(0, 200) }) },
  };
  return record(state, draftFor(state, activity.target, subjectOf(activity.card), marked(activity.card, verification)), activity.card.person, "attestation");
}

/** The bed was empty: recorded under the roster's occupant (unknown: ref null), with bed, time and operator. */
function recordAbsent(state: FlowState, bed: BedRef): FlowStep {
  const occupant = rosterEntryOf(state.settings.roster, bed)?.occupant;
  const subject: EventDraft["subject"] = { cardType: "none", ref: occupant?.ref ?? null, refKey: occupant?.refKey ?? state.settings.refKey, masked: occupant?.masked ?? null };
  const person = occupant?.masked != null ? { maskedName: "*", maskedId: occupant.masked } : null;
  return record(state, draftFor(state, { kind: "ward", bed }, subject, { outcome: "absent", ...NO_SCORES }), person);
}
