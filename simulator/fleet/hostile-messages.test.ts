import { describe, expect, it } from "vitest";
import { decodeMessage, parseTopic, publicKeyFromRaw, verifyEventSignature, type EventMessage } from "../../protocol/index.js";
import { deriveBoxKey } from "./box-keys.js";
import { planFleet } from "./fleet-plan.js";
import { ACKABLE_DEFECTS, DEFECT_REASONS, DEFECT_SEQ_BASE, type DefectTruth } from "./hostile-messages.js";
import { planTraffic, type PlannedMessage } from "./traffic-plan.js";

const END_AT = "2026-11-25T12:00:00+08:00";
const fleet = planFleet({ seed: "hostile-test", sites: 2, stationsPerSite: 3, wardsPerSite: 1, bedsPerWard: 16 });
const plan = planTraffic(fleet, { endAt: END_AT, days: 4, badShare: 0.1 });
const defects = plan.flatMap((message, index) => (message.truth.type === "defect" ? [{ message, truth: message.truth, index }] : []));
const validIndex = new Map(plan.flatMap((m, index) => (m.truth.type === "valid" ? [[m.truth.id, index] as const] : [])));
const validEvents = new Map(plan.flatMap((m) => (m.truth.type === "valid" ? [[m.truth.id, decoded(m)] as const] : [])));

function decoded(message: PlannedMessage): EventMessage {
  const result = decodeMessage("events", message.payload);
  if (!result.ok) throw new Error(`does not decode: ${result.violation.reason}`);
  return result.message;
}

function registeredKey(box: string) {
  const planned = fleet.boxes.find((b) => b.box === box);
  if (planned === undefined) throw new Error(`box ${box} is not in the fleet`);
  return { key: publicKeyFromRaw(planned.publicKey), keyId: planned.keyId };
}

function defectsWith(reason: DefectTruth["reason"]) {
  const found = defects.filter((d) => d.truth.reason === reason);
  expect(found.length, `plan has ${reason} messages`).toBeGreaterThan(0);
  return found;
}

describe("hostile messages", () => {
  it("make up about badShare of the plan and include every reason", () => {
    expect(defects.length / plan.length).toBeCloseTo(0.1, 2);
    expect(new Set(defects.map((d) => d.truth.reason))).toEqual(new Set(DEFECT_REASONS));
    for (const { truth } of defects) expect(truth.ackable).toBe(ACKABLE_DEFECTS.has(truth.reason));
  });

  it.each(["invalid_json", "unsupported_version", "unknown_field", "schema_invalid", "payload_too_large"] as const)(
    "%s is rejected by protocol decodeMessage with exactly that reason",
    (reason) => {
      for (const { message } of defectsWith(reason)) {
        const result = decodeMessage("events", message.payload);
        expect(result.ok ? "ok" : result.violation.reason).toBe(reason);
      }
    },
  );

  it("bad_signature keeps a real event's id and signature over a changed body", () => {
    for (const { message, truth, index } of defectsWith("bad_signature")) {
      const event = decoded(message);
      const { key, keyId } = registeredKey(event.box);
      expect(verifyEventSignature(event, key, keyId)).toMatchObject({ ok: false, reason: "bad_signature" });
      expect(truth.copies).toBe(event.id);
      expect(validEvents.get(event.id)?.sig).toEqual(event.sig);
      expect(index).toBeGreaterThan(validIndex.get(event.id) ?? Infinity);
    }
  });

  it("wrong_key is a well-formed event of a registered box signed with another key", () => {
    for (const { message } of defectsWith("wrong_key")) {
      const event = decoded(message);
      const { key, keyId } = registeredKey(event.box);
      expect(verifyEventSignature(event, key, keyId)).toMatchObject({ ok: false, reason: "wrong_key" });
    }
  });

  it("unknown_box is properly signed by a box that is not in the fleet, on its own topic", () => {
    for (const { message, truth } of defectsWith("unknown_box")) {
      const event = decoded(message);
      expect(fleet.boxes.some((b) => b.box === event.box)).toBe(false);
      expect(parseTopic(message.topic)).toMatchObject({ kind: "events", box: event.box, site: event.site });
      const stranger = deriveBoxKey(fleet.seed, "unregistered", event.box);
      expect(verifyEventSignature(event, publicKeyFromRaw(stranger.publicKey), stranger.keyId)).toEqual({ ok: true });
      expect([truth.id, truth.seq]).toEqual([event.id, event.seq]);
    }
  });

  it("replay_conflict re-sends a real id with another body, properly signed, after the real one", () => {
    for (const { message, truth, index } of defectsWith("replay_conflict")) {
      const event = decoded(message);
      const original = validEvents.get(event.id);
      const { key, keyId } = registeredKey(event.box);
      expect(verifyEventSignature(event, key, keyId)).toEqual({ ok: true });
      expect(original?.seq).toBe(event.seq);
      expect(JSON.stringify(original)).not.toBe(JSON.stringify(event));
      expect(truth.copies).toBe(event.id);
      expect(index).toBeGreaterThan(validIndex.get(event.id) ?? Infinity);
    }
  });

  it("sequence_reuse is a new, properly signed id with a seq the box already used, after that event", () => {
    for (const { message, truth, index } of defectsWith("sequence_reuse")) {
      const event = decoded(message);
      const { key, keyId } = registeredKey(event.box);
      expect(verifyEventSignature(event, key, keyId)).toEqual({ ok: true });
      expect(validEvents.has(event.id)).toBe(false);
      const original = validEvents.get(truth.copies ?? "");
      expect([original?.box, original?.seq]).toEqual([event.box, event.seq]);
      expect(index).toBeGreaterThan(validIndex.get(truth.copies ?? "") ?? Infinity);
    }
  });

  it("clock_in_future is properly signed and dated a day after the end of the period", () => {
    for (const { message } of defectsWith("clock_in_future")) {
      const event = decoded(message);
      const { key, keyId } = registeredKey(event.box);
      expect(verifyEventSignature(event, key, keyId)).toEqual({ ok: true });
      expect(Date.parse(event.clock.at) - Date.parse(END_AT)).toBeGreaterThanOrEqual(24 * 3_600_000);
    }
  });

  it("never takes a seq a valid event of the same box uses, except the copies that must", () => {
    const used = new Set(plan.flatMap((m) => (m.truth.type === "valid" ? [`${m.truth.box}#${m.truth.seq}`] : [])));
    for (const { truth } of defects) {
      if (truth.seq === null || truth.reason === "sequence_reuse" || truth.reason === "bad_signature" || truth.reason === "replay_conflict") continue;
      expect(used.has(`${truth.box}#${truth.seq}`)).toBe(false);
      if (truth.reason !== "unknown_box") expect(truth.seq).toBeGreaterThan(DEFECT_SEQ_BASE);
    }
  });
});
