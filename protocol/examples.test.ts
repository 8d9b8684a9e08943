import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { alertId } from "./alert-id.js";
import { publicKeyFromRaw, verifyEventSignature } from "./event-signature.js";
import {
  EXAMPLE_ID_NUMBERS,
  EXAMPLE_KEY_ID,
  EXAMPLE_PUBLIC_KEY,
  EXAMPLE_PSEUDONYM_KEY,
  exampleBoxes,
  exampleMessages,
  examplePayload,
} from "./examples.js";
import { EVENT_KINDS } from "./messages/event.js";
import { personRef } from "./pseudonym.js";
import { parseTopic, TOPIC_KINDS, TOPICS } from "./topics.js";

const examples = exampleMessages();
const boxes = exampleBoxes();
const events = Object.values(examples).flatMap((example) => (example.kind === "events" ? [example.message] : []));

describe("examples", () => {
  it("are byte-for-byte deterministic", () => {
    expect(JSON.stringify(exampleMessages())).toBe(JSON.stringify(examples));
  });

  it("derive the documented example key from its fixed seed", () => {
    // Pinned: protocol/README.md's worked signature example is built on this key.
    expect(EXAMPLE_PUBLIC_KEY).toBe("DWJnISK2TSb6kX-zCesDfACN2itFCfbDIjxt5y7RKZg");
    expect(EXAMPLE_KEY_ID).toBe("5e40e3660105f60c");
    expect(boxes.dialysis.seed).toEqual(createHash("sha256").update("carewitness example box key dlys-a03").digest());
    expect(boxes.ward.publicKey).not.toBe(boxes.dialysis.publicKey);
  });

  it.each(events.map((event) => [`${event.box} seq ${event.seq}`, event] as const))("event %s is signed by its box", (_label, event) => {
    const box = event.box === boxes.dialysis.box ? boxes.dialysis : boxes.ward;
    expect(verifyEventSignature(event, publicKeyFromRaw(box.publicKey), box.keyId)).toEqual({ ok: true });
  });

  it.each(Object.entries(examples))("%s is published on a topic that matches its payload", (_name, example) => {
    const topic = parseTopic(example.topic);
    expect(topic?.kind).toBe(example.kind);
    expect(example.retained).toBe(TOPICS[example.kind].retained);
    const message = example.message as { site?: string; box?: string };
    if (message.site !== undefined) expect(message.site).toBe(topic?.site);
    if (message.box !== undefined) expect(message.box).toBe(topic?.box);
  });

  it("cover every topic, every event kind, and the attested and absent outcomes", () => {
    const kinds = new Set(Object.values(examples).map((example) => example.kind));
    expect([...kinds].sort()).toEqual([...TOPIC_KINDS].sort());
    expect(new Set(events.map((event) => event.kind))).toEqual(new Set(EVENT_KINDS));
    expect(events.map((event) => event.verification.outcome)).toEqual(expect.arrayContaining(["verified", "attested", "absent"]));
    expect(new Set(Object.values(examples).filter((e) => e.kind === "status").map((e) => (e.message as { reason: string }).reason))).toEqual(
      new Set(["connected", "last_will"]),
    );
  });

  it("number each box's events upwards, and the check-out closes the check-in", () => {
    for (const box of [boxes.dialysis.box, boxes.ward.box]) {
      const seqs = events.filter((event) => event.box === box).map((event) => event.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    const checkOut = examples.dialysisCheckOut.message;
    expect(checkOut.kind === "dialysis.check_out" && checkOut.checkInId).toBe(examples.dialysisCheckIn.message.id);
  });

  it("the ack carries the SHA-256 of the check-in's published bytes", () => {
    const [entry] = examples.ack.message.acks;
    const checkIn = examples.dialysisCheckIn.message;
    expect(entry?.id).toBe(checkIn.id);
    expect(entry?.seq).toBe(checkIn.seq);
    expect(entry?.payloadSha256).toBe(createHash("sha256").update(examplePayload(checkIn)).digest("hex"));
  });

  it("the absent check names the bed's occupant from the config roster", () => {
    const absent = examples.wardBedsideAbsent.message;
    expect(absent.kind).toBe("ward.bedside_check");
    if (absent.kind !== "ward.bedside_check") return;
    const entry = examples.config.message.roster.find((bed) => bed.ward === absent.bed.ward && bed.bed === absent.bed.bed);
    expect(entry?.occupant).toEqual({ ref: absent.subject.ref, refKey: absent.subject.refKey, masked: absent.subject.masked });
    expect(absent.subject.cardType).toBe("none");
    expect(absent.round.shift).toBe("night");
  });

  it("the alert id is derived from its cause", () => {
    const alert = examples.alert.message;
    expect(alert.id).toBe(alertId(alert.kind, alert.evidence.eventIds));
    expect(alert.subject.ref).toBe(personRef(EXAMPLE_ID_NUMBERS.absentPatient, EXAMPLE_PSEUDONYM_KEY));
  });

  it("never put an ID number on the wire", () => {
    const wire = JSON.stringify(examples).toUpperCase();
    for (const idNumber of Object.values(EXAMPLE_ID_NUMBERS)) {
      expect(wire).not.toContain(idNumber.toUpperCase());
      expect(wire).not.toContain(idNumber.slice(6, 14));
    }
  });
});
