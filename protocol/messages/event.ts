import { z } from "zod";
import { BoxId, EventId, PersonRef, PseudonymKeyId, SiteId, Timestamp } from "../identifiers.js";
import { MASKED_ID_PATTERN } from "../pseudonym.js";
import { PROTOCOL_VERSION } from "../version.js";

/**
 * Check events: what a box saw and decided. Published on `cw/v1/{site}/{box}/events` (QoS 1, not
 * retained), signed by the box (see event-signature.ts), stored by the gateway idempotently by `id`.
 */

export const EVENT_KINDS = ["dialysis.check_in", "dialysis.check_out", "ward.bedside_check", "enrolment.face_enrolled"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const CARD_TYPES = [
  "resident_id",
  "foreign_permanent_resident",
  "foreign_permanent_resident_2023",
  "hk_mo_tw_residence_permit",
  "none",
] as const;

export const OUTCOMES = [
  "verified",
  "face_mismatch",
  "suspected_spoof",
  "no_face",
  "card_unreadable",
  "absent",
  "card_only",
  "attested",
  "enrolled",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes without a readable card: the subject may then be unknown (`ref: null`). */
const OUTCOMES_WITHOUT_CARD: readonly Outcome[] = ["card_unreadable", "absent"];
/** Outcomes that report a face comparison and must carry its scores. */
const OUTCOMES_WITH_FACE_SCORE: readonly Outcome[] = ["verified", "face_mismatch", "suspected_spoof"];

const ClockReading = z
  .strictObject({
    at: Timestamp.describe("The box's wall-clock time of the check, with the box's UTC offset."),
    sync: z
      .enum(["ntp", "gateway", "unsynced"])
      .describe("How the box's clock was last disciplined: NTP, the gateway's time, or not at all."),
    driftMs: z
      .number()
      .int()
      .min(-86_400_000)
      .max(86_400_000)
      .nullable()
      .describe("Last measured offset of the box clock from its reference (positive: box ahead); null if unknown."),
  })
  .describe("The box's clock when the check happened.");

const Subject = z
  .strictObject({
    cardType: z.enum(CARD_TYPES).describe("Card type the reader reported; `none` when no card was read."),
    ref: PersonRef.nullable().describe("Pseudonymous person reference; null only when no card could be read."),
    refKey: PseudonymKeyId,
    masked: z
      .string()
      .regex(MASKED_ID_PATTERN, "masked ID number: up to 4 characters at each end, `*` between")
      .nullable()
      .describe("Masked ID number for display (e.g. 1101**********1234); never the full number."),
  })
  .describe("Whose card was presented (or, for an absent patient, whose bed was checked).");

const FaceMatch = z
  .strictObject({
    metric: z.enum(["euclidean_distance", "cosine_similarity"]),
    score: z.number(),
    threshold: z.number(),
    model: z.string().min(1).max(80).describe("Recogniser model id and version, e.g. dlib-resnet-v1."),
    template: z.string().min(1).max(80).describe("Enrolled template version compared against."),
  })
  .describe("Face comparison between the live capture and the enrolled template.");

const Liveness = z
  .strictObject({
    method: z.enum(["active_blink", "active_head_turn", "passive", "combined"]),
    score: z.number().min(0).max(1),
    threshold: z.number().min(0).max(1),
    model: z.string().min(1).max(80),
  })
  .describe("Liveness evidence: is the face a live person rather than a photo or a screen.");

const FaceIdentification = z
  .strictObject({
    ref: PersonRef.describe("Pseudonymous reference of the enrolled person whose template the live face matches."),
    score: z.number().describe("Euclidean distance between the live face and that template (below the threshold)."),
    threshold: z.number(),
  })
  .describe(
    "Who the face belongs to, when it is not the card's holder: the closest of the institution's enrolled templates under the match threshold (a 1:N search the box runs at a face mismatch, and reports whenever the face is watch-listed). Lets a supervisor see who used the card, and lets a confirmed impersonation put that face on the watch list.",
  );

export const ATTESTATION_REASONS = [
  "facial_paralysis",
  "bandage",
  "poor_sight",
  "liveness_repeated_failure",
  "camera_fault",
  "other",
] as const;

const Attestation = z
  .strictObject({
    staffRef: PersonRef.describe("Pseudonymous reference of the attesting nurse or doctor (their own card)."),
    staffRole: z.enum(["nurse", "doctor"]),
    reason: z.enum(ATTESTATION_REASONS),
    note: z.string().max(200).optional(),
  })
  .describe("A member of staff vouched for the patient because the face check could not serve them.");

const Verification = z
  .strictObject({
    outcome: z.enum(OUTCOMES),
    face: FaceMatch.nullable(),
    liveness: Liveness.nullable(),
    attestation: Attestation.nullable(),
    watchListed: z
      .literal(true)
      .optional()
      .describe("Set when the card is on the watch list the gateway pushed (command watch_list_update): the box required a staff check whatever the face score, and the gateway raises a live alert (rule W1)."),
    watchListedFace: z
      .literal(true)
      .optional()
      .describe("Set when the live face matches a face on the watch list (an entry's faceTemplateId, the enrolled template of someone who used another's card): the box required a staff check whatever card was presented, and the gateway raises a live alert (rule W2). The watched face is the one named in faceIdentifiedAs, or the card holder's own when that is absent."),
    faceIdentifiedAs: FaceIdentification.optional(),
  })
  .describe("The box's decision and the scores behind it.");

const EvidenceRef = z
  .strictObject({
    kind: z.enum(["face_crop", "frame", "liveness_track", "card_photo"]),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "evidence sha256: 64 lowercase hex characters"),
    mediaType: z.enum(["image/jpeg", "image/png", "application/json", "application/octet-stream"]),
    bytes: z.number().int().min(0).max(50_000_000),
  })
  .describe("A reference to evidence kept on the box (content hash only; the bytes travel separately on request).");

const Signature = z
  .strictObject({
    alg: z.literal("Ed25519"),
    keyId: z.string().regex(/^[0-9a-f]{16}$/, "key id: first 16 hex characters of SHA-256 of the raw public key"),
    value: z.base64url().length(86, "Ed25519 signature: 64 bytes as 86 base64url characters without padding"),
  })
  .describe("Ed25519 signature by the box's own key over the canonical form of the event without `sig`.");

const commonFields = {
  v: z.literal(PROTOCOL_VERSION),
  id: EventId,
  site: SiteId,
  box: BoxId,
  seq: z
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .describe("The box's monotonic sequence number, 1 for its first event; never reused."),
  clock: ClockReading,
  subject: Subject,
  verification: Verification,
  evidence: z.array(EvidenceRef).max(8),
  sig: Signature,
};

const Station = z
  .strictObject({
    id: z.string().min(1).max(64),
    room: z.string().max(64).nullable(),
  })
  .describe("The dialysis chair or station.");

export const DialysisCheckIn = z
  .strictObject({ kind: z.literal("dialysis.check_in"), ...commonFields, station: Station })
  .describe("A patient presented card and face at the start of a dialysis session.");

export const DialysisCheckOut = z
  .strictObject({
    kind: z.literal("dialysis.check_out"),
    ...commonFields,
    station: Station,
    checkInId: EventId.nullable().describe("The check-in this closes, when the box knows it."),
  })
  .describe("A patient presented card and face at the end of a dialysis session.");

export const WardBedsideCheck = z
  .strictObject({
    kind: z.literal("ward.bedside_check"),
    ...commonFields,
    bed: z.strictObject({ ward: z.string().min(1).max(64), bed: z.string().min(1).max(32) }),
    round: z
      .strictObject({
        id: z.uuid().describe("Identifier of the ward round this check belongs to."),
        shift: z.enum(["day", "night"]),
        operatorRef: PersonRef.describe("Pseudonymous reference of who did the round (their staff card)."),
        operatorRole: z.enum(["doctor", "nurse", "inspector"]),
      })
      .describe("The ward round: day or night, and who carried the box."),
  })
  .describe("A bedside presence check on a ward round, including `absent` when the bed was empty.");

export const FaceEnrolment = z
  .strictObject({
    kind: z.literal("enrolment.face_enrolled"),
    ...commonFields,
    enrolment: z
      .strictObject({
        staffRef: PersonRef.describe("Pseudonymous reference of the nurse who supervised the enrolment (their own card)."),
        staffRole: z.enum(["nurse", "doctor"]),
        model: z.string().min(1).max(80).describe("Recogniser model id and version the template was made with."),
        frames: z.number().int().min(1).max(50).describe("Quality-gated frames combined into the template."),
        duplicateOf: z
          .array(PersonRef)
          .max(10)
          .describe("Other cards of the institution whose enrolled face matches this one (one face, two cards); empty when none."),
      })
      .describe("Who supervised the enrolment, and any other card the same face is already enrolled under."),
  })
  .describe("A patient's face enrolled at a box under nurse supervision (outcome `enrolled`); the template itself stays on the boxes, sealed.");

/** Cross-field rules JSON Schema cannot express; documented in protocol/README.md. */
function checkOutcomeConsistency(event: z.infer<typeof EventShape>, ctx: z.core.$RefinementCtx): void {
  const { outcome, face, attestation } = event.verification;
  const issue = (message: string, path: (string | number)[]): void => {
    ctx.addIssue({ code: "custom", message, path });
  };
  if (event.subject.ref === null && !OUTCOMES_WITHOUT_CARD.includes(outcome)) {
    issue(`subject.ref may be null only for outcomes ${OUTCOMES_WITHOUT_CARD.join(", ")}`, ["subject", "ref"]);
  }
  if (OUTCOMES_WITH_FACE_SCORE.includes(outcome) && face === null) {
    issue(`outcome ${outcome} requires verification.face`, ["verification", "face"]);
  }
  if (outcome === "verified" && event.verification.liveness === null) {
    issue("outcome verified requires verification.liveness", ["verification", "liveness"]);
  }
  if ((outcome === "attested") !== (attestation !== null)) {
    issue("verification.attestation is required for outcome attested and forbidden otherwise", [
      "verification",
      "attestation",
    ]);
  }
  if ((outcome === "enrolled") !== (event.kind === "enrolment.face_enrolled")) {
    issue("outcome enrolled exists only for enrolment.face_enrolled, and is its only outcome", ["verification", "outcome"]);
  }
  if (outcome === "absent" && event.kind !== "ward.bedside_check") {
    issue("outcome absent exists only for ward.bedside_check", ["verification", "outcome"]);
  }
  const identified = event.verification.faceIdentifiedAs;
  if (identified !== undefined && (face === null || identified.ref === event.subject.ref)) {
    issue("verification.faceIdentifiedAs needs a face comparison and names someone other than the card's holder", ["verification", "faceIdentifiedAs"]);
  }
}

const EventShape = z.discriminatedUnion("kind", [DialysisCheckIn, DialysisCheckOut, WardBedsideCheck, FaceEnrolment]);

export const EventMessage = EventShape.superRefine(checkOutcomeConsistency).describe(
  "A signed check event from a box.",
);
export type EventMessage = z.infer<typeof EventShape>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event before the box signs it. */
export type UnsignedEvent = DistributiveOmit<EventMessage, "sig">;
