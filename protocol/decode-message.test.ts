import { describe, expect, it } from "vitest";
import { decodeMessage, type Decoded } from "./decode-message.js";
import { exampleMessages, examplePayload } from "./examples.js";
import type { EventMessage } from "./messages/event.js";
import { QUARANTINE_REASON_DOCS, type QuarantineReason } from "./quarantine-reasons.js";
import { TOPICS } from "./topics.js";

const examples = exampleMessages();
const checkIn = examples.dialysisCheckIn.message;
const absent = examples.wardBedsideAbsent.message;
const attested = examples.attestedCheckIn.message;

function bytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

function decodeEvent(payload: Uint8Array): Decoded<EventMessage> {
  return decodeMessage("events", payload);
}

/** Asserts a rejection with this reason, its documented step and a detail containing `detailPart`. */
function expectViolation(result: Decoded<unknown>, reason: QuarantineReason, detailPart = ""): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.violation.reason).toBe(reason);
  expect(result.violation.step).toBe(QUARANTINE_REASON_DOCS[reason].step);
  expect(result.violation.detail).toContain(detailPart);
}

/** A copy of `event` with parts of it replaced (the signature is irrelevant to decoding). */
function eventWith(event: EventMessage, change: (copy: Record<string, unknown> & EventMessage) => void): Buffer {
  const copy = structuredClone(event) as Record<string, unknown> & EventMessage;
  change(copy);
  return bytes(copy);
}

describe("decoding valid messages", () => {
  it.each(Object.entries(examples))("the %s example decodes to itself", (_name, example) => {
    const result = decodeMessage(example.kind, examplePayload(example.message));
    expect(result).toEqual({ ok: true, message: example.message });
  });

  it("accepts any whitespace and member order", () => {
    const reordered = Object.fromEntries(Object.entries(checkIn).reverse());
    expect(decodeEvent(Buffer.from(JSON.stringify(reordered, null, 4))).ok).toBe(true);
  });

  it("tolerates a leading UTF-8 byte order mark (WHATWG TextDecoder drops it)", () => {
    expect(decodeEvent(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), examplePayload(checkIn)])).ok).toBe(true);
  });

  it("accepts a payload of exactly the topic's size limit", () => {
    const payload = examplePayload(checkIn);
    const padded = Buffer.concat([payload, Buffer.alloc(TOPICS.events.maxPayloadBytes - payload.length, 0x20)]);
    expect(decodeEvent(padded).ok).toBe(true);
  });

  it("accepts an unreadable card without a subject ref", () => {
    const payload = eventWith(checkIn, (e) => {
      e.subject = { cardType: "none", ref: null, refKey: e.subject.refKey, masked: null };
      e.verification = { outcome: "card_unreadable", face: null, liveness: null, attestation: null };
    });
    expect(decodeEvent(payload).ok).toBe(true);
  });
});

describe("parse violations", () => {
  it("a payload over the topic's limit is payload_too_large, before it is parsed", () => {
    const oversize = Buffer.alloc(TOPICS.events.maxPayloadBytes + 1, 0xff);
    expectViolation(decodeEvent(oversize), "payload_too_large", String(TOPICS.events.maxPayloadBytes));
    expectViolation(decodeMessage("status", Buffer.alloc(TOPICS.status.maxPayloadBytes + 1, 0x20)), "payload_too_large");
  });

  it.each([
    ["a stray continuation byte", [0x7b, 0x80, 0x7d]],
    ["an invalid byte", [0x7b, 0x22, 0xff, 0x22, 0x7d]],
    ["an overlong encoding", [0x7b, 0xc0, 0xaf, 0x7d]],
    ["an encoded surrogate (CESU-8)", [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ["a truncated sequence", [0x22, 0xe4, 0xb8]],
  ])("%s is invalid_utf8", (_label, raw) => {
    expectViolation(decodeEvent(Uint8Array.from(raw)), "invalid_utf8");
  });

  it("truncated JSON is invalid_json", () => {
    const payload = examplePayload(checkIn);
    expectViolation(decodeEvent(payload.subarray(0, payload.length - 10)), "invalid_json");
  });

  it.each([
    ["empty", ""],
    ["not JSON", "event"],
    ["single-quoted", "{'v': 1}"],
  ])("a payload %s is invalid_json", (_label, text) => {
    expectViolation(decodeEvent(Buffer.from(text, "utf8")), "invalid_json");
  });

  it.each([
    ["an array", [checkIn]],
    ["null", null],
    ["a number", 1],
    ["a string", "event"],
  ])("%s is not_an_object", (_label, value) => {
    expectViolation(decodeEvent(bytes(value)), "not_an_object");
  });
});

describe("validate violations", () => {
  it("an object without v is missing_version", () => {
    expectViolation(decodeEvent(eventWith(checkIn, (e) => { delete (e as Partial<EventMessage>).v; })), "missing_version");
  });

  it("a v that is not a number is missing_version", () => {
    expectViolation(decodeEvent(eventWith(checkIn, (e) => { e.v = "1" as unknown as 1; })), "missing_version");
  });

  it("v: 2 is unsupported_version, never guessed at", () => {
    expectViolation(decodeEvent(eventWith(checkIn, (e) => { e.v = 2 as unknown as 1; })), "unsupported_version", "2");
    expectViolation(decodeMessage("status", bytes({ ...examples.statusOnline.message, v: 2 })), "unsupported_version");
  });

  it("an unknown top-level field is unknown_field", () => {
    expectViolation(decodeEvent(eventWith(checkIn, (e) => { e.patientName = "x"; })), "unknown_field", "patientName");
  });

  it("an unknown nested field is unknown_field, with its path", () => {
    const payload = eventWith(checkIn, (e) => { (e.subject as Record<string, unknown>).idNumber = "11010519491231002X"; });
    expectViolation(decodeEvent(payload), "unknown_field", "subject");
  });

  it("an unknown field in another topic's message is unknown_field", () => {
    const config = { ...examples.config.message, settings: { ...examples.config.message.settings, secret: "k" } };
    expectViolation(decodeMessage("config", bytes(config)), "unknown_field", "secret");
  });

  it.each([
    ["seq as a string", (e: Record<string, unknown>) => { e.seq = "1041"; }, "seq"],
    ["seq 0", (e: Record<string, unknown>) => { e.seq = 0; }, "seq"],
    ["a fractional seq", (e: Record<string, unknown>) => { e.seq = 1.5; }, "seq"],
    ["an unknown kind", (e: Record<string, unknown>) => { e.kind = "dialysis.pause"; }, "kind"],
    ["a missing id", (e: Record<string, unknown>) => { delete e.id; }, "id"],
    ["a UUIDv4 id", (e: Record<string, unknown>) => { e.id = "9b2c7f1e-4a5d-4e8f-9a0b-1c2d3e4f5a6b"; }, "id"],
    ["a time without offset", (e: Record<string, unknown>) => { e.clock = { ...checkIn.clock, at: "2026-11-24T07:28:41.512" }; }, "clock.at"],
    ["an upper-case ref", (e: Record<string, unknown>) => { e.subject = { ...checkIn.subject, ref: checkIn.subject.ref?.toUpperCase() ?? null }; }, "subject.ref"],
    ["a full ID number as mask", (e: Record<string, unknown>) => { e.subject = { ...checkIn.subject, masked: "11010519491231002X" }; }, "subject.masked"],
  ])("%s is schema_invalid", (_label, change, path) => {
    expectViolation(decodeEvent(eventWith(checkIn, change)), "schema_invalid", path);
  });
});

describe("cross-field rules of events", () => {
  it("subject.ref may be null only for card_unreadable and absent", () => {
    const payload = eventWith(checkIn, (e) => { e.subject = { ...e.subject, ref: null }; });
    expectViolation(decodeEvent(payload), "schema_invalid", "subject.ref");
  });

  it("face_mismatch requires verification.face", () => {
    const payload = eventWith(checkIn, (e) => { e.verification = { ...e.verification, outcome: "face_mismatch", face: null }; });
    expectViolation(decodeEvent(payload), "schema_invalid", "verification.face");
  });

  it("verified requires verification.liveness", () => {
    const payload = eventWith(checkIn, (e) => { e.verification = { ...e.verification, liveness: null }; });
    expectViolation(decodeEvent(payload), "schema_invalid", "verification.liveness");
  });

  it("attested requires an attestation", () => {
    const payload = eventWith(attested, (e) => { e.verification = { ...e.verification, attestation: null }; });
    expectViolation(decodeEvent(payload), "schema_invalid", "verification.attestation");
  });

  it("an attestation is forbidden for any other outcome", () => {
    const attestation = attested.verification.attestation;
    const payload = eventWith(checkIn, (e) => { e.verification = { ...e.verification, attestation }; });
    expectViolation(decodeEvent(payload), "schema_invalid", "verification.attestation");
  });

  it("absent exists only for ward.bedside_check", () => {
    const payload = eventWith(checkIn, (e) => {
      e.subject = absent.subject;
      e.verification = absent.verification;
    });
    expectViolation(decodeEvent(payload), "schema_invalid", "verification.outcome");
  });

  it("faceIdentifiedAs names someone other than the card's holder, and only beside a face comparison", () => {
    const other = { ref: "b".repeat(64), score: 0.41, threshold: 0.6 };
    const good = eventWith(checkIn, (e) => { e.verification = { ...e.verification, outcome: "face_mismatch", faceIdentifiedAs: other, watchListedFace: true }; });
    expect(decodeEvent(good).ok).toBe(true);
    const holder = eventWith(checkIn, (e) => { e.verification = { ...e.verification, outcome: "face_mismatch", faceIdentifiedAs: { ...other, ref: e.subject.ref ?? "" } }; });
    expectViolation(decodeEvent(holder), "schema_invalid", "verification.faceIdentifiedAs");
    const noFace = eventWith(attested, (e) => { e.verification = { ...e.verification, faceIdentifiedAs: other }; });
    expectViolation(decodeEvent(noFace), "schema_invalid", "verification.faceIdentifiedAs");
  });
});
