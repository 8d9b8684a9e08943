import { v7 as uuidv7 } from "uuid";
import { ATTESTATION_REASONS, PROTOCOL_VERSION, type EventMessage, type Outcome, type UnsignedEvent } from "../../protocol/index.js";
import { signWithKey, type BoxKey } from "./box-keys.js";
import { chinaTimestamp } from "./china-time.js";
import type { ScheduledCheck } from "./care-schedule.js";
import { staffOf, type FleetPlan, type PlannedBox, type PlannedPerson } from "./fleet-plan.js";
import type { SeededRandom } from "./seeded-random.js";

/**
 * Turns a scheduled check and its outcome into the event a box would sign, with the fields the
 * cross-field rules of protocol/messages/event.ts require for that outcome (face scores for
 * verified / face_mismatch / suspected_spoof, liveness for verified, attestation exactly when
 * attested, a null ref only without a readable card).
 */

type EventBody<K extends EventMessage["kind"]> = Extract<UnsignedEvent, { kind: K }>;
type Verification = EventMessage["verification"];
type Evidence = EventMessage["evidence"][number];

/** A UUIDv7 (RFC 9562) at the check's time with seeded random bits, so reruns mint the same ids. */
export function mintEventId(random: SeededRandom, atMs: number): string {
  return uuidv7({ msecs: atMs, random: random.bytes(16) });
}

// The face model the boxes run (shared/face-models.md): dlib ResNet descriptors compared by Euclidean
// distance with dlib's 0.6 decision threshold; liveness by a blink challenge on the face mesh.
const FACE_MODEL = "dlib-resnet-v1";
const FACE_THRESHOLD = 0.6;
const LIVENESS_MODEL = "facemesh-blink-v1";
const LIVENESS_THRESHOLD = 0.5;

export interface BuildIds {
  readonly id: string;
  readonly seq: number;
  /** Dialysis check-out: the check-in it closes. */
  readonly checkInId?: string | null;
  /** Bedside check: the round's UUID. */
  readonly roundId?: string;
}

export function buildCheckEvent(fleet: FleetPlan, box: PlannedBox, check: ScheduledCheck, outcome: Outcome, ids: BuildIds, random: SeededRandom): UnsignedEvent {
  const common = {
    v: PROTOCOL_VERSION,
    id: ids.id,
    site: box.site,
    box: box.box,
    seq: ids.seq,
    clock: clockReading(random, check.at),
    subject: subjectOf(fleet, check.patient, outcome),
    verification: verificationFor(fleet, box, check, outcome, random),
    evidence: evidenceFor(outcome, random),
  };
  const station = { id: box.location, room: box.room };
  switch (check.kind) {
    case "dialysis.check_in":
      return { kind: check.kind, ...common, station } satisfies EventBody<"dialysis.check_in">;
    case "dialysis.check_out":
      return { kind: check.kind, ...common, station, checkInId: ids.checkInId ?? null } satisfies EventBody<"dialysis.check_out">;
    case "ward.bedside_check":
      if (ids.roundId === undefined) throw new RangeError("a bedside check needs its round id");
      return {
        kind: check.kind,
        ...common,
        bed: { ward: check.patient.ward, bed: check.patient.bed },
        round: { id: ids.roundId, shift: check.round.shift, operatorRef: check.round.operator.ref, operatorRole: check.round.operator.role },
      } satisfies EventBody<"ward.bedside_check">;
  }
}

export interface SignedPayload {
  readonly event: EventMessage;
  readonly payload: Buffer;
}

/** Signs with the box's key and serialises as the box publishes it (compact JSON, UTF-8). */
export function signAndEncode(event: UnsignedEvent, key: Pick<BoxKey, "privateKey" | "keyId">): SignedPayload {
  const signed: EventMessage = signWithKey(event, key);
  return { event: signed, payload: Buffer.from(JSON.stringify(signed), "utf8") };
}

function clockReading(random: SeededRandom, at: number): EventMessage["clock"] {
  const sync = random.weighted({ ntp: 0.85, gateway: 0.14, unsynced: 0.01 });
  const driftMs = sync === "ntp" ? random.int(-30, 30) : sync === "gateway" ? random.int(-400, 400) : null;
  return { at: chinaTimestamp(at), sync, driftMs };
}

/** Without a readable card the subject is unknown; an absent patient is named from the ward list. */
function subjectOf(fleet: FleetPlan, person: PlannedPerson, outcome: Outcome): EventMessage["subject"] {
  if (outcome === "card_unreadable") return { cardType: "none", ref: null, refKey: fleet.pseudonymKeyId, masked: null };
  if (outcome === "absent") return { cardType: "none", ref: person.ref, refKey: fleet.pseudonymKeyId, masked: person.masked };
  return { cardType: person.cardType, ref: person.ref, refKey: fleet.pseudonymKeyId, masked: person.masked };
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

function face(random: SeededRandom, distance: { min: number; max: number }): NonNullable<Verification["face"]> {
  return {
    metric: "euclidean_distance",
    score: round3(random.between(distance.min, distance.max)),
    threshold: FACE_THRESHOLD,
    model: FACE_MODEL,
    template: random.chance(0.8) ? "enrol-v2" : "enrol-v1",
  };
}

function liveness(random: SeededRandom, passed: boolean): NonNullable<Verification["liveness"]> {
  const score = passed ? random.between(0.62, 0.99) : random.between(0.02, 0.4);
  return { method: "active_blink", score: round3(score), threshold: LIVENESS_THRESHOLD, model: LIVENESS_MODEL };
}

function verificationFor(fleet: FleetPlan, box: PlannedBox, check: ScheduledCheck, outcome: Outcome, random: SeededRandom): Verification {
  const none = { face: null, liveness: null, attestation: null };
  switch (outcome) {
    case "verified":
      return { outcome, face: face(random, { min: 0.22, max: 0.56 }), liveness: liveness(random, true), attestation: null };
    case "face_mismatch":
      return { outcome, face: face(random, { min: 0.63, max: 1.05 }), liveness: liveness(random, true), attestation: null };
    case "suspected_spoof":
      return { outcome, face: face(random, { min: 0.3, max: 0.58 }), liveness: liveness(random, false), attestation: null };
    case "attested":
      return attestedVerification(fleet, box, check, random);
    case "no_face":
    case "card_only":
    case "card_unreadable":
    case "absent":
    case "enrolled":
      return { outcome, ...none };
  }
}

/** Staff vouch with their own card: the round's operator if a nurse or doctor, else a nurse of the site. */
function attestedVerification(fleet: FleetPlan, box: PlannedBox, check: ScheduledCheck, random: SeededRandom): Verification {
  const operator = check.kind === "ward.bedside_check" && check.round.operator.role !== "inspector" ? check.round.operator : undefined;
  const staff = operator ?? random.pick(staffOf(fleet, box.site, random.chance(0.8) ? ["nurse"] : ["doctor"]));
  const reason = random.pick(ATTESTATION_REASONS);
  const staffRole = staff.role === "doctor" ? "doctor" : "nurse";
  const attestation = { staffRef: staff.ref, staffRole, reason, ...(reason === "other" ? { note: "patient unable to face the camera" } : {}) } as const;
  // A repeated liveness failure is the one reason that leaves scores behind: the attempts were made.
  if (reason === "liveness_repeated_failure") {
    return { outcome: "attested", face: face(random, { min: 0.25, max: 0.55 }), liveness: liveness(random, false), attestation };
  }
  return { outcome: "attested", face: null, liveness: null, attestation };
}

function evidenceItem(random: SeededRandom, kind: Evidence["kind"], mediaType: Evidence["mediaType"], bytes: { min: number; max: number }): Evidence {
  return { kind, sha256: random.hex(32), mediaType, bytes: random.int(bytes.min, bytes.max) };
}

/** What the box keeps for later review: crops and liveness tracks for face decisions, a frame when none was found. */
function evidenceFor(outcome: Outcome, random: SeededRandom): Evidence[] {
  const crop = () => evidenceItem(random, "face_crop", "image/jpeg", { min: 8_000, max: 24_000 });
  const frame = () => evidenceItem(random, "frame", "image/jpeg", { min: 40_000, max: 120_000 });
  const track = () => evidenceItem(random, "liveness_track", "application/json", { min: 1_500, max: 6_000 });
  switch (outcome) {
    case "verified":
      return [crop(), track()];
    case "face_mismatch":
    case "suspected_spoof":
      return [crop(), frame(), track()];
    case "no_face":
    case "card_unreadable":
      return [frame()];
    case "attested":
      return [evidenceItem(random, "card_photo", "application/octet-stream", { min: 1_024, max: 1_024 })];
    case "card_only":
    case "absent":
    case "enrolled":
      return [];
  }
}
