import type { RosterEntry } from "../../firmware-config/box-settings.js";
import type { ATTESTATION_REASONS, CARD_TYPES, EventKind, EventMessage } from "../../protocol/index.js";
import type { QualityRejection } from "../face/quality-gates.js";
import type { KioskPerson, KioskScreen } from "../ports.js";

/**
 * The vocabulary of the box's flows (STYLE.md: pure state machines, I/O at the edge). A flow takes
 * its state and one input and returns the next state and effects as data; the agent performs the
 * effects (kiosk, camera, face pipeline, outbox) and feeds their results back as inputs. Flows never
 * see a raw ID number: the agent turns a card into a pseudonymous ref and masked forms first.
 */

export type Verification = EventMessage["verification"];
export type AttestationReason = (typeof ATTESTATION_REASONS)[number];
export type ReadCardType = Exclude<(typeof CARD_TYPES)[number], "none">;

/** A card as the flows see it: pseudonymous ref, masked forms, never the number. */
export interface FlowCard {
  readonly cardType: ReadCardType;
  readonly ref: string;
  readonly refKey: string;
  /** Masked ID number (maskIdNumber). */
  readonly masked: string;
  readonly person: KioskPerson;
  /** On the watch list the gateway pushed: the event says so and the screen asks for a staff check, whatever the face score. */
  readonly watchListed?: boolean;
}

/** The face step's result as the agent reports it (FacePipeline.verify + decideCheck). */
export type FaceOutcome =
  /** verified, face_mismatch, suspected_spoof or no_face; `coaching` is the quality gate's reason for no_face. */
  | { readonly kind: "decided"; readonly verification: Verification; readonly coaching: QualityRejection | null }
  | { readonly kind: "not_enrolled" }
  /** The camera delivered no frame at all within the burst's time. */
  | { readonly kind: "camera_problem"; readonly detail: string };

export type EnrolmentOutcome =
  /** `duplicateOf`: other cards whose enrolled face matches (one face, two cards); `model`: the template's model. */
  | { readonly ok: true; readonly goodFrames: number; readonly duplicateOf: readonly string[]; readonly model: string }
  | { readonly ok: false; readonly goodFrames: number; readonly framesNeeded: number; readonly problem: string };

/** What a person does on the touch screen (or with the bed-code scanner). */
export type KioskAction =
  | { readonly action: "start_enrolment" }
  | { readonly action: "start_attestation" }
  | { readonly action: "choose_reason"; readonly reason: AttestationReason; readonly note?: string }
  | { readonly action: "start_round"; readonly role: "doctor" | "nurse" | "inspector"; readonly roundId: string }
  | { readonly action: "end_round" }
  | { readonly action: "pick_bed"; readonly ward: string; readonly bed: string }
  /** A bed's printed code as the scanner reads it: `{ward}/{bed}`, optionally prefixed `BED:`. */
  | { readonly action: "scan_bed"; readonly code: string }
  | { readonly action: "patient_absent" }
  | { readonly action: "cancel" };

export type FlowInput =
  | { readonly type: "card"; readonly at: number; readonly card: FlowCard }
  | { readonly type: "card_problem"; readonly at: number; readonly problem: "unreadable" | "invalid_card" | "reader_offline"; readonly detail: string }
  | { readonly type: "face"; readonly at: number; readonly outcome: FaceOutcome }
  | { readonly type: "recorded"; readonly at: number; readonly eventId: string }
  | { readonly type: "record_failed"; readonly at: number; readonly detail: string }
  | { readonly type: "enrolled"; readonly at: number; readonly outcome: EnrolmentOutcome }
  | { readonly type: "action"; readonly at: number; readonly action: KioskAction }
  | { readonly type: "tick"; readonly at: number };

export interface WardRound {
  readonly id: string;
  readonly shift: "day" | "night";
  readonly operatorRef: string;
  readonly operatorRole: "doctor" | "nurse" | "inspector";
}

export interface BedRef {
  readonly ward: string;
  readonly bed: string;
}

/** An event before the agent gives it id, seq, clock, station, evidence and signature. */
export type EventDraft =
  | {
      readonly kind: "dialysis.check_in";
      readonly subject: EventMessage["subject"];
      readonly verification: Verification;
    }
  | {
      readonly kind: "dialysis.check_out";
      readonly subject: EventMessage["subject"];
      readonly verification: Verification;
      readonly checkInId: string | null;
    }
  | {
      readonly kind: "ward.bedside_check";
      readonly subject: EventMessage["subject"];
      readonly verification: Verification;
      readonly bed: BedRef;
      readonly round: WardRound;
    }
  | {
      readonly kind: "enrolment.face_enrolled";
      readonly subject: EventMessage["subject"];
      readonly verification: Verification;
      readonly enrolment: Extract<EventMessage, { kind: "enrolment.face_enrolled" }>["enrolment"];
    };

/** Something the box reports beside events (logs and health), e.g. a session never checked out. */
export type FlowReport =
  | { readonly report: "session_overdue"; readonly checkInId: string; readonly subjectMasked: string; readonly since: number; readonly maxMinutes: number }
  | { readonly report: "card_problem"; readonly problem: "unreadable" | "invalid_card" | "reader_offline"; readonly detail: string }
  | { readonly report: "record_failed"; readonly detail: string }
  | { readonly report: "enrolment"; readonly ok: boolean; readonly nurseRef: string; readonly patientRef: string; readonly duplicates: number }
  | { readonly report: "refused"; readonly detail: string };

export type FlowEffect =
  | { readonly effect: "show"; readonly screen: KioskScreen }
  | { readonly effect: "check_face"; readonly card: FlowCard; readonly attempt: number }
  | { readonly effect: "record"; readonly draft: EventDraft }
  | { readonly effect: "enrol"; readonly card: FlowCard; readonly nurseRef: string }
  | { readonly effect: "set_exposure"; readonly exposure: "auto" | "long" | "ir" }
  | { readonly effect: "report"; readonly report: FlowReport };

export type { EventKind, QualityRejection, RosterEntry };
