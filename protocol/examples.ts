import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { alertId } from "./alert-id.js";
import { keyIdOf, privateKeyFromSeed, rawPublicKey, signEvent } from "./event-signature.js";
import type { EventMessage, UnsignedEvent } from "./messages/event.js";
import { maskIdNumber, personRef } from "./pseudonym.js";
import { boxTopic, siteTopic, TOPICS, type BoxTopicKind, type MessageOf, type TopicKind } from "./topics.js";
import { PROTOCOL_VERSION } from "./version.js";

/**
 * One realistic, valid example of every message kind, byte-for-byte reproducible: box keys come from
 * fixed seeds, person refs from a fixed pseudonym key, ids and times are literals, and Ed25519 is
 * deterministic (RFC 8032 §5.1.6). protocol/README.md shows them (generated), tests reuse them.
 *
 * The ID numbers are made up and pass the GB 11643 check character; they never leave this file except
 * as HMACs and masks, exactly as on a real box.
 */

/** A seed from a label, so the docs can say where each key comes from. */
function seedOf(label: string): Buffer {
  return createHash("sha256").update(label, "utf8").digest();
}

export const EXAMPLE_SITE = "H50010600123";
export const EXAMPLE_PSEUDONYM_KEY_ID = "pk-2026-01";
/** 32 bytes: SHA-256 of "carewitness example pseudonym key". */
export const EXAMPLE_PSEUDONYM_KEY: Uint8Array = seedOf("carewitness example pseudonym key");

export interface ExampleBox {
  readonly site: string;
  readonly box: string;
  /** 32-byte Ed25519 seed: SHA-256 of `carewitness example box key {box}`. */
  readonly seed: Buffer;
  readonly privateKey: KeyObject;
  /** Raw public key, 32 bytes in base64url (what the box registers). */
  readonly publicKey: string;
  readonly keyId: string;
}

function exampleBox(box: string): ExampleBox {
  const seed = seedOf(`carewitness example box key ${box}`);
  const privateKey = privateKeyFromSeed(seed);
  const publicKey = createPublicKey(privateKey);
  return { site: EXAMPLE_SITE, box, seed, privateKey, publicKey: rawPublicKey(publicKey), keyId: keyIdOf(publicKey) };
}

/** The two example boxes: a dialysis station and a ward-round handheld. */
export function exampleBoxes(): { readonly dialysis: ExampleBox; readonly ward: ExampleBox } {
  return { dialysis: exampleBox("dlys-a03"), ward: exampleBox("ward-5b-r1") };
}

const DIALYSIS_BOX = exampleBoxes().dialysis;
/** The dialysis example box's raw public key (base64url) and key id, for registering it in tests. */
export const EXAMPLE_PUBLIC_KEY = DIALYSIS_BOX.publicKey;
export const EXAMPLE_KEY_ID = DIALYSIS_BOX.keyId;

/** Made-up people. Patient A's number is given with a lower-case `x` to show normalisation. */
export const EXAMPLE_ID_NUMBERS = {
  dialysisPatient: "11010519491231002x",
  wardPatient: "440305196208150049",
  absentPatient: "310104197503120086",
  attestedPatient: "931840198505120017",
  dayNurse: "51010719880623003X",
  nightNurse: "510107199102140049",
  chargeNurse: "420111198609090050",
} as const;

function refOf(idNumber: string): string {
  return personRef(idNumber, EXAMPLE_PSEUDONYM_KEY);
}

function subjectOf(cardType: EventMessage["subject"]["cardType"], idNumber: string): EventMessage["subject"] {
  return { cardType, ref: refOf(idNumber), refKey: EXAMPLE_PSEUDONYM_KEY_ID, masked: maskIdNumber(idNumber) };
}

function evidence(kind: EventMessage["evidence"][number]["kind"], label: string, bytes: number): EventMessage["evidence"][number] {
  // The card photo stays in the reader's proprietary WLT compression, so it travels as opaque bytes.
  const mediaType = kind === "liveness_track" ? "application/json" : kind === "card_photo" ? "application/octet-stream" : "image/jpeg";
  return { kind, sha256: createHash("sha256").update(label, "utf8").digest("hex"), mediaType, bytes };
}

/** dlib's ResNet compares by Euclidean distance: lower is closer, a match is below the threshold. */
function dlibFace(score: number, template: string): EventMessage["verification"]["face"] {
  return { metric: "euclidean_distance", score, threshold: 0.6, model: "dlib-resnet-v1", template };
}

function blink(score: number): EventMessage["verification"]["liveness"] {
  return { method: "active_blink", score, threshold: 0.5, model: "blink-ear-v1" };
}
const STATION = { id: "A03", room: "Haemodialysis room A" };

const IDS = {
  checkIn: "01a20abd-8228-7720-95fd-b955e724fbb4",
  checkOut: "01a20ba0-00df-7fab-85cc-c470e459c875",
  attested: "01a20bb9-dd1e-7d6b-8d24-5998ea4a7590",
  wardDay: "01a20b1f-2d3d-7b6e-adaf-a3e2773809e4",
  wardNight: "01a20ec3-e7e8-7e40-8c62-e7a6ce276e49",
  roundDay: "01a20b07-f2c0-7024-b949-5dd2ad0370d9",
  roundNight: "01a20e9b-79c0-7b6c-b0ab-7c565ecdaabe",
  command: "01a20bec-d480-73b4-931e-282d2efc8eba",
  enrolment: "01a20bf5-fd1c-7538-98e8-1633a1bc18d8",
} as const;

function sign(event: UnsignedEvent, box: ExampleBox): EventMessage {
  return signEvent(event, box.privateKey);
}

function exampleEvents(): Record<"checkIn" | "checkOut" | "attested" | "wardDay" | "wardNight" | "enrolment", EventMessage> {
  const { dialysis, ward } = exampleBoxes();
  const checkIn = sign(
    {
      v: PROTOCOL_VERSION,
      kind: "dialysis.check_in",
      id: IDS.checkIn,
      site: dialysis.site,
      box: dialysis.box,
      seq: 1041,
      clock: { at: "2026-11-24T07:28:41.512+08:00", sync: "ntp", driftMs: 12 },
      subject: subjectOf("resident_id", EXAMPLE_ID_NUMBERS.dialysisPatient),
      verification: {
        outcome: "verified",
        face: dlibFace(0.412, "enrol-2026-03-v2"),
        liveness: blink(0.93),
        attestation: null,
      },
      evidence: [evidence("face_crop", "check-in face crop", 18_342), evidence("liveness_track", "check-in blink track", 2_106)],
      station: STATION,
    },
    dialysis,
  );
  const checkOut = sign(
    {
      v: PROTOCOL_VERSION,
      kind: "dialysis.check_out",
      id: IDS.checkOut,
      site: dialysis.site,
      box: dialysis.box,
      seq: 1042,
      clock: { at: "2026-11-24T11:36:05.087+08:00", sync: "ntp", driftMs: 15 },
      subject: subjectOf("resident_id", EXAMPLE_ID_NUMBERS.dialysisPatient),
      verification: {
        outcome: "verified",
        face: dlibFace(0.447, "enrol-2026-03-v2"),
        liveness: blink(0.88),
        attestation: null,
      },
      evidence: [evidence("face_crop", "check-out face crop", 17_905)],
      station: STATION,
      checkInId: IDS.checkIn,
    },
    dialysis,
  );
  const attested = sign(
    {
      v: PROTOCOL_VERSION,
      kind: "dialysis.check_in",
      id: IDS.attested,
      site: dialysis.site,
      box: dialysis.box,
      seq: 1043,
      clock: { at: "2026-11-24T12:04:19.870+08:00", sync: "ntp", driftMs: 15 },
      subject: subjectOf("foreign_permanent_resident_2023", EXAMPLE_ID_NUMBERS.attestedPatient),
      verification: {
        outcome: "attested",
        face: null,
        liveness: null,
        attestation: {
          staffRef: refOf(EXAMPLE_ID_NUMBERS.chargeNurse),
          staffRole: "nurse",
          reason: "bandage",
          note: "Facial dressing after surgery; patient known to the unit.",
        },
      },
      evidence: [evidence("card_photo", "attested check-in card photo", 1_024)],
      station: STATION,
    },
    dialysis,
  );
  const wardDay = sign(
    {
      v: PROTOCOL_VERSION,
      kind: "ward.bedside_check",
      id: IDS.wardDay,
      site: ward.site,
      box: ward.box,
      seq: 318,
      clock: { at: "2026-11-24T09:15:22.301+08:00", sync: "gateway", driftMs: -240 },
      subject: subjectOf("resident_id", EXAMPLE_ID_NUMBERS.wardPatient),
      verification: {
        outcome: "verified",
        face: dlibFace(0.509, "enrol-2026-11-v1"),
        liveness: blink(0.81),
        attestation: null,
      },
      evidence: [evidence("face_crop", "ward day face crop", 16_220)],
      bed: { ward: "5B", bed: "12" },
      round: { id: IDS.roundDay, shift: "day", operatorRef: refOf(EXAMPLE_ID_NUMBERS.dayNurse), operatorRole: "nurse" },
    },
    ward,
  );
  const wardNight = sign(
    {
      v: PROTOCOL_VERSION,
      kind: "ward.bedside_check",
      id: IDS.wardNight,
      site: ward.site,
      box: ward.box,
      seq: 341,
      clock: { at: "2026-11-25T02:14:09.640+08:00", sync: "gateway", driftMs: -310 },
      // No card to read at an empty bed: the subject is the bed's occupant from the retained config's roster.
      subject: {
        cardType: "none",
        ref: refOf(EXAMPLE_ID_NUMBERS.absentPatient),
        refKey: EXAMPLE_PSEUDONYM_KEY_ID,
        masked: maskIdNumber(EXAMPLE_ID_NUMBERS.absentPatient),
      },
      verification: { outcome: "absent", face: null, liveness: null, attestation: null },
      evidence: [evidence("frame", "ward night empty bed frame", 41_877)],
      bed: { ward: "5B", bed: "07" },
      round: { id: IDS.roundNight, shift: "night", operatorRef: refOf(EXAMPLE_ID_NUMBERS.nightNurse), operatorRole: "nurse" },
    },
    ward,
  );
  const enrolment = sign(
    {
      v: PROTOCOL_VERSION,
      kind: "enrolment.face_enrolled",
      id: IDS.enrolment,
      site: dialysis.site,
      box: dialysis.box,
      seq: 1044,
      clock: { at: "2026-11-24T13:10:00.220+08:00", sync: "ntp", driftMs: 12 },
      subject: subjectOf("resident_id", EXAMPLE_ID_NUMBERS.dialysisPatient),
      verification: { outcome: "enrolled", face: null, liveness: null, attestation: null },
      evidence: [],
      enrolment: {
        staffRef: refOf(EXAMPLE_ID_NUMBERS.chargeNurse),
        staffRole: "nurse",
        model: "dlib-resnet-v1@2",
        frames: 5,
        duplicateOf: [refOf(EXAMPLE_ID_NUMBERS.attestedPatient)],
      },
    },
    dialysis,
  );
  return { checkIn, checkOut, attested, wardDay, wardNight, enrolment };
}

/** The bytes a box publishes for a message: compact JSON in UTF-8 (any JSON spelling is valid). */
export function examplePayload(message: object): Buffer {
  return Buffer.from(JSON.stringify(message), "utf8");
}

export interface ExampleMessage<K extends TopicKind = TopicKind> {
  readonly kind: K;
  readonly topic: string;
  readonly retained: boolean;
  /** One line on what the example shows. */
  readonly title: string;
  readonly message: MessageOf<K>;
}

function onBoxTopic<K extends BoxTopicKind>(kind: K, box: ExampleBox, title: string, message: MessageOf<K>): ExampleMessage<K> {
  return { kind, topic: boxTopic(kind, box), retained: TOPICS[kind].retained, title, message };
}

/** Every example, in the order the README shows them. */
export function exampleMessages() {
  const { dialysis, ward } = exampleBoxes();
  const events = exampleEvents();
  const wardRef = (idNumber: string) => ({ ref: refOf(idNumber), refKey: EXAMPLE_PSEUDONYM_KEY_ID, masked: maskIdNumber(idNumber) });
  const statusFields = { v: PROTOCOL_VERSION, site: dialysis.site, box: dialysis.box, at: "2026-11-24T06:58:00.004+08:00" } as const;
  return {
    dialysisCheckIn: onBoxTopic("events", dialysis, "Dialysis check-in, card and face verified", events.checkIn),
    dialysisCheckOut: onBoxTopic("events", dialysis, "Dialysis check-out closing that session", events.checkOut),
    attestedCheckIn: onBoxTopic("events", dialysis, "Dialysis check-in attested by a nurse (face bandaged)", events.attested),
    wardBedsideCheck: onBoxTopic("events", ward, "Ward bedside check on the day round, verified", events.wardDay),
    wardBedsideAbsent: onBoxTopic("events", ward, "Ward bedside check on the night round, bed empty", events.wardNight),
    faceEnrolment: onBoxTopic("events", dialysis, "Face enrolled under a nurse's supervision; the face is already enrolled under another card", events.enrolment),
    ack: onBoxTopic("acks", dialysis, "The gateway's ack of the check-in after durable storage", {
      v: PROTOCOL_VERSION,
      box: dialysis.box,
      at: "2026-11-23T23:28:42.118Z",
      acks: [
        {
          id: events.checkIn.id,
          seq: events.checkIn.seq,
          payloadSha256: createHash("sha256").update(examplePayload(events.checkIn)).digest("hex"),
          result: "stored",
          reason: null,
        },
      ],
    }),
    statusOnline: onBoxTopic("status", dialysis, "Retained status published on connecting", {
      ...statusFields,
      state: "online",
      reason: "connected",
      agentVersion: "0.1.0",
      health: {
        reader: "ok",
        camera: "ok",
        outboxDepth: 0,
        oldestPendingAt: null,
        models: ["blazeface-front@1", "dlib-resnet-v1@2"],
        lastEventAt: null,
        disk: { freeBytes: 12_884_901_888, totalBytes: 31_138_512_896 },
        clockOffsetMs: -42,
        alarms: [],
      },
    }),
    statusLastWill: onBoxTopic("status", dialysis, "Last will registered at connect, published by the broker on a lost connection", {
      ...statusFields,
      state: "offline",
      reason: "last_will",
      agentVersion: "0.1.0",
      health: null,
    }),
    config: onBoxTopic("config", ward, "Retained configuration of a ward-round box with its roster", {
      v: PROTOCOL_VERSION,
      site: ward.site,
      box: ward.box,
      revision: 17,
      issuedAt: "2026-11-24T20:00:00.000+08:00",
      settings: {
        faceThreshold: null,
        livenessThreshold: null,
        repeatTapWindowS: 60,
        maxDialysisSessionMin: 360,
        nightMode: { from: "22:00", to: "06:30", exposure: "ir" },
        livenessChallenges: ["turn_left", "turn_right"],
      },
      roster: [
        { ward: "5B", bed: "07", occupant: wardRef(EXAMPLE_ID_NUMBERS.absentPatient) },
        { ward: "5B", bed: "12", occupant: wardRef(EXAMPLE_ID_NUMBERS.wardPatient) },
        { ward: "5B", bed: "14" },
      ],
    }),
    command: onBoxTopic("commands", dialysis, "Command: republish the outbox from a sequence number", {
      v: PROTOCOL_VERSION,
      id: IDS.command,
      issuedAt: "2026-11-24T13:00:00.000+08:00",
      expiresAt: "2026-11-24T13:10:00.000+08:00",
      command: "resend_outbox",
      args: { fromSeq: 1041 },
    }),
    commandResponse: onBoxTopic("responses", dialysis, "The box's response to that command", {
      v: PROTOCOL_VERSION,
      commandId: IDS.command,
      at: "2026-11-24T13:00:01.730+08:00",
      status: "ok",
      error: null,
      data: { republished: 3, fromSeq: 1041, toSeq: 1043 },
    }),
    alert: {
      kind: "alerts",
      topic: siteTopic("alerts", EXAMPLE_SITE),
      retained: TOPICS.alerts.retained,
      title: "Alert raised from the night round's absent check",
      message: {
        v: PROTOCOL_VERSION,
        id: alertId("absent_inpatient", [events.wardNight.id]),
        kind: "absent_inpatient",
        severity: "warning",
        site: EXAMPLE_SITE,
        raisedAt: "2026-11-24T18:14:10.206Z",
        subject: { ref: refOf(EXAMPLE_ID_NUMBERS.absentPatient), masked: maskIdNumber(EXAMPLE_ID_NUMBERS.absentPatient) },
        evidence: { eventIds: [events.wardNight.id], boxes: [ward.box] },
        summary: "Inpatient of ward 5B bed 07 was not in bed at the night round (02:14).",
      },
    } satisfies ExampleMessage<"alerts">,
    ruleAlert: {
      kind: "alerts",
      topic: siteTopic("alerts", EXAMPLE_SITE),
      retained: TOPICS.alerts.retained,
      title: "Alert raised by the rule engine: a billed session nobody verified (rule D1)",
      message: {
        v: PROTOCOL_VERSION,
        id: alertId("billed_not_verified", [`${EXAMPLE_SITE}/L000002`]),
        kind: "billed_not_verified",
        rule: "D1",
        severity: "warning",
        site: EXAMPLE_SITE,
        raisedAt: "2026-11-26T09:02:41.118Z",
        subject: { ref: refOf(EXAMPLE_ID_NUMBERS.wardPatient), masked: null },
        patientNameMasked: "李*国",
        evidence: { eventIds: [], boxes: [], billingLineIds: [`${EXAMPLE_SITE}/L000002`] },
        summary: "Dialysis session billed for 2026-11-24 12:00 has no verified check-in of this patient at this institution from 60 min before to 30 min after its start.",
        explanation: {
          zh: "2026-11-24 12:00 计费的透析治疗在开始前 60 分钟至开始后 30 分钟内没有该患者在本机构的核验签到。",
          en: "Dialysis session billed for 2026-11-24 12:00 has no verified check-in of this patient at this institution from 60 min before to 30 min after its start.",
        },
      },
    } satisfies ExampleMessage<"alerts">,
  } satisfies Record<string, ExampleMessage>;
}

export type ExampleName = keyof ReturnType<typeof exampleMessages>;
