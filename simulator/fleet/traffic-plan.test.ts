import { describe, expect, it } from "vitest";
import { decodeMessage, publicKeyFromRaw, verifyEventSignature, type EventMessage } from "../../protocol/index.js";
import { chinaHourOfDay, chinaWeekday, HOUR_MS, MINUTE_MS } from "./china-time.js";
import { planFleet, type FleetPlan } from "./fleet-plan.js";
import { planTraffic, type PlannedMessage } from "./traffic-plan.js";

const END_AT = "2026-11-25T12:00:00+08:00";
const fleet = planFleet({ seed: "traffic-test", sites: 2, stationsPerSite: 4, wardsPerSite: 2, bedsPerWard: 12 });
const plan = planTraffic(fleet, { endAt: END_AT, days: 7, badShare: 0.05 });

function decodedEvent(message: PlannedMessage): EventMessage {
  const decoded = decodeMessage("events", message.payload);
  if (!decoded.ok) throw new Error(`${message.truth.type} message does not decode: ${decoded.violation.detail}`);
  return decoded.message;
}

const validOnes = (messages: readonly PlannedMessage[]) =>
  messages.flatMap((message) => (message.truth.type === "valid" ? [{ truth: message.truth, event: decodedEvent(message), message }] : []));

describe("planTraffic", () => {
  it("is byte-identical for the same seed and end, and differs for another seed", () => {
    const again = planTraffic(planFleet({ seed: "traffic-test", sites: 2, stationsPerSite: 4, wardsPerSite: 2, bedsPerWard: 12 }), { endAt: END_AT, days: 7 });
    expect(again.map((m) => [m.topic, m.payload.toString("base64")])).toEqual(plan.map((m) => [m.topic, m.payload.toString("base64")]));
    const other = planTraffic(planFleet({ seed: "another", sites: 2, stationsPerSite: 4, wardsPerSite: 2, bedsPerWard: 12 }), { endAt: END_AT, days: 7 });
    const otherPayloads = new Set(other.map((m) => m.payload.toString("base64")));
    expect(plan.some((m) => otherPayloads.has(m.payload.toString("base64")))).toBe(false);
  });

  it("produces valid events that decode, match their truth and verify with their box's registered key", () => {
    const valid = validOnes(plan);
    expect(valid.length).toBeGreaterThan(500);
    for (const { truth, event } of valid) {
      const box = fleet.boxes.find((b) => b.box === truth.box);
      if (box === undefined) throw new Error(`unknown box ${truth.box}`);
      expect(verifyEventSignature(event, publicKeyFromRaw(box.publicKey), box.keyId)).toEqual({ ok: true });
      expect([event.id, event.seq, event.kind, event.verification.outcome, event.site, event.box, event.clock.at]).toEqual([
        truth.id, truth.seq, truth.kind, truth.outcome, truth.site, truth.box, truth.at,
      ]);
      expect(event.clock.at).toMatch(/\+08:00$/);
      expect(Date.parse(event.clock.at)).toBeLessThanOrEqual(Date.parse(END_AT));
    }
  });

  it("covers every kind and the occasional non-verified outcome", () => {
    const valid = validOnes(plan);
    expect(new Set(valid.map((v) => v.truth.kind))).toEqual(new Set(["dialysis.check_in", "dialysis.check_out", "ward.bedside_check"]));
    const outcomes = new Set(valid.map((v) => v.truth.outcome));
    for (const outcome of ["verified", "absent", "face_mismatch", "no_face", "card_only", "attested"]) expect(outcomes).toContain(outcome);
    const verified = valid.filter((v) => v.truth.outcome === "verified").length / valid.length;
    expect(verified).toBeGreaterThan(0.8);
    const attested = valid.filter((v) => v.event.verification.attestation !== null);
    expect(attested.every((v) => v.truth.outcome === "attested")).toBe(true);
  });

  it("numbers each box's valid events 1..n in device-time order, without gaps or reuse", () => {
    const byBox = new Map<string, { seq: number; at: number }[]>();
    for (const { event } of validOnes(plan)) byBox.set(event.box, [...(byBox.get(event.box) ?? []), { seq: event.seq, at: Date.parse(event.clock.at) }]);
    expect(byBox.size).toBe(fleet.boxes.length);
    for (const events of byBox.values()) {
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      for (let i = 1; i < events.length; i++) expect((events[i]?.at ?? 0) >= (events[i - 1]?.at ?? 0)).toBe(true);
    }
  });

  it("puts dialysis on the patient's days and shift, with check-out 3.5–4.5 h after its check-in", () => {
    const valid = validOnes(plan);
    const byId = new Map(valid.map((v) => [v.event.id, v]));
    const patients = new Map(fleet.dialysisPatients.map((p) => [p.personId, p]));
    const checkOuts = valid.filter((v) => v.event.kind === "dialysis.check_out");
    expect(checkOuts.length).toBeGreaterThan(50);
    for (const { event, truth } of valid) {
      if (event.kind !== "dialysis.check_in") continue;
      const patient = patients.get(truth.person);
      const at = Date.parse(event.clock.at);
      const weekday = chinaWeekday(at);
      expect(patient?.schedule === "mon_wed_fri" ? [1, 3, 5] : [2, 4, 6]).toContain(weekday);
      const start = { morning: 7, afternoon: 12, evening: 17 }[patient?.shift ?? "morning"];
      expect(Math.abs(chinaHourOfDay(at) - start - 0.0417)).toBeLessThanOrEqual(0.21);
      expect(event.station.id).toBe(patient?.station);
    }
    for (const { event, truth } of checkOuts) {
      if (event.kind !== "dialysis.check_out") throw new Error("unreachable");
      const checkIn = byId.get(event.checkInId ?? "");
      expect(checkIn?.event.kind).toBe("dialysis.check_in");
      expect(checkIn?.event.box).toBe(event.box);
      expect(checkIn?.truth.person).toBe(truth.person);
      const hours = (Date.parse(event.clock.at) - Date.parse(checkIn?.event.clock.at ?? "")) / HOUR_MS;
      expect(hours).toBeGreaterThanOrEqual(3.5);
      expect(hours).toBeLessThanOrEqual(4.5);
    }
  });

  it("checks every occupied bed once per round, day rounds from about 09:00 and night rounds from 22:00–02:00", () => {
    const rounds = new Map<string, { shift: string; operator: string; beds: string[]; times: number[] }>();
    for (const { event } of validOnes(plan)) {
      if (event.kind !== "ward.bedside_check") continue;
      const round = rounds.get(event.round.id) ?? { shift: event.round.shift, operator: event.round.operatorRef, beds: [], times: [] };
      expect(round.operator).toBe(event.round.operatorRef);
      round.beds.push(`${event.box}/${event.bed.bed}`);
      round.times.push(Date.parse(event.clock.at));
      rounds.set(event.round.id, round);
    }
    const occupied = (box: string) => fleet.inpatients.filter((p) => p.box === box).length;
    let complete = 0;
    for (const round of rounds.values()) {
      expect(new Set(round.beds).size).toBe(round.beds.length);
      const first = Math.min(...round.times);
      const hour = chinaHourOfDay(first);
      if (round.shift === "day") expect(hour >= 8.75 && hour <= 9.6).toBe(true);
      else expect(hour >= 22 || hour <= 2.1).toBe(true);
      expect(Math.max(...round.times) - first).toBeLessThan(occupied(round.beds[0]?.split("/")[0] ?? "") * 3 * MINUTE_MS);
      if (round.beds.length === occupied(round.beds[0]?.split("/")[0] ?? "")) complete += 1;
    }
    // Rounds cut by the window's edges are partial; all others visit every occupied bed.
    expect(complete).toBeGreaterThanOrEqual(rounds.size - 2 * fleet.boxes.filter((b) => b.role === "ward_round").length);
  });

  it("never puts a raw ID number or a name on the wire", () => {
    const people = [...fleet.staff, ...fleet.dialysisPatients, ...fleet.inpatients];
    const wire = plan.map((m) => m.payload.toString("utf8")).join("\n");
    for (const person of people) {
      expect(wire.includes(person.idNumber)).toBe(false);
      expect(wire.includes(person.name)).toBe(false);
    }
  });
});

describe("ward-round absences", () => {
  it("are more frequent at night over a large plan", () => {
    const big: FleetPlan = planFleet({ seed: "absences", sites: 2, stationsPerSite: 0, wardsPerSite: 3, bedsPerWard: 30 });
    const checks = validOnes(planTraffic(big, { endAt: END_AT, days: 14, badShare: 0 }));
    const rate = (shift: "day" | "night") => {
      const inShift = checks.filter(({ event }) => event.kind === "ward.bedside_check" && event.round.shift === shift);
      return inShift.filter(({ truth }) => truth.outcome === "absent").length / inShift.length;
    };
    expect(rate("night")).toBeGreaterThan(rate("day") * 1.8);
    expect(rate("day")).toBeGreaterThan(0);
  });
});
