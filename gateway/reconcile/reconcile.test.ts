import { describe, expect, it } from "vitest";
import type { BilledItem } from "../billing/billed-item.js";
import type { Finding, RuleId } from "./finding.js";
import { reconcile } from "./reconcile.js";
import { checkEventsOfRecords, type BoxStatusPoint, type CheckEvent } from "./reconcile-input.js";
import { ReconcileParams } from "./reconcile-params.js";
import { ALICE, BOB, event, eventMessage, item, refOf, status } from "./test-fixtures/reconcile-facts.js";

const DEFAULTS = ReconcileParams.parse({});

function run(items: BilledItem[], events: CheckEvent[] = [], statuses: BoxStatusPoint[] = [], params: Partial<ReconcileParams> = {}): Finding[] {
  return reconcile({ items, events, statuses }, { ...DEFAULTS, ...params });
}

const rules = (findings: readonly Finding[]): RuleId[] => findings.map((f) => f.rule);

/** A billed 07:30-11:35 CST session on 24 Nov and its verified check-in / check-out. */
const session = item({ line: "L1", start: "2026-11-24 07:30", end: "2026-11-24 11:35" });
const checkIn = event({ at: "2026-11-24T07:20:00+08:00" });
const checkOut = event({ kind: "dialysis.check_out", at: "2026-11-24T11:40:00+08:00", checkInId: checkIn.id });

describe("reconciliation, dialysis", () => {
  it("finds nothing for a billed session with verified check-in and check-out", () => {
    expect(run([session], [checkIn, checkOut])).toEqual([]);
  });

  it("D1: a billed session without a check-in, with line, patient, explanation in both languages", () => {
    const [found, ...rest] = run([session], [checkOut]);
    expect(rest).toEqual([]);
    expect(found).toMatchObject({
      rule: "D1",
      severity: "warning",
      institution: "H50010600123",
      patientRef: refOf(ALICE),
      patientNameMasked: "王*英",
      lineIds: ["H50010600123/L1"],
      alertKind: "billed_not_verified",
    });
    expect(found?.explanation.zh).toContain("2026-11-24 07:30");
    expect(found?.explanation.en).toContain("no verified check-in");
    expect(found?.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("D1: the window runs from 60 min before to 30 min after the billed start", () => {
    const at = (time: string): CheckEvent[] => [event({ at: `2026-11-24T${time}:00+08:00` }), event({ kind: "dialysis.check_out", at: "2026-11-24T11:40:00+08:00" })];
    expect(rules(run([session], at("06:30")))).toEqual([]);
    expect(rules(run([session], at("06:29")))).toEqual(["D1"]);
    expect(rules(run([session], at("08:00")))).toEqual([]);
    expect(rules(run([session], at("08:01")))).toEqual(["D1"]);
  });

  it("D1: a check-in at another institution or by another patient does not count", () => {
    expect(rules(run([session], [event({ at: "2026-11-24T07:20:00+08:00", site: "H99999999999" })]))).toContain("D1");
    expect(rules(run([session], [event({ at: "2026-11-24T07:20:00+08:00", patient: BOB })]))).toContain("D1");
  });

  it("D1: a check-in without face verification (card only) is not verified presence unless configured so", () => {
    const cardOnly = event({ at: "2026-11-24T07:20:00+08:00", outcome: "card_only" });
    expect(rules(run([session], [cardOnly]))).toEqual(["D1"]);
    expect(run([session], [cardOnly])[0]?.eventIds).toEqual([cardOnly.id]);
    expect(rules(run([session], [cardOnly], [], { presenceOutcomes: ["verified", "attested", "card_only"], asOf: Date.parse("2026-11-24T08:00:00+08:00") }))).toEqual([]);
  });

  it("C1: with the station's box offline in the window the session is unverifiable, not absent", () => {
    const offline = [status("chair-box-1", "online", "2026-11-24T06:00:00+08:00"), status("chair-box-1", "offline", "2026-11-24T06:50:00+08:00"), status("chair-box-1", "online", "2026-11-24T09:00:00+08:00")];
    const [found, ...rest] = run([session], [], offline);
    expect(rest).toEqual([]);
    expect(found).toMatchObject({ rule: "C1", severity: "info", boxes: ["chair-box-1"], lineIds: ["H50010600123/L1"] });
    expect(found?.explanation.en).toContain("not read as an absent patient");
    // Offline and back online before the window: the box could have seen the patient.
    const earlier = [status("chair-box-1", "offline", "2026-11-24T05:00:00+08:00"), status("chair-box-1", "online", "2026-11-24T06:00:00+08:00")];
    expect(rules(run([session], [], earlier))).toEqual(["D1"]);
    // A ward-round box offline says nothing about dialysis.
    expect(rules(run([session], [], [status("ward-box-1", "offline", "2026-11-24T06:50:00+08:00", "ward_round")]))).toEqual(["D1"]);
  });

  it("D2: a face-mismatch check-in is reported at once, and late billing attaches to the same finding", () => {
    const mismatch = event({ at: "2026-11-24T07:25:00+08:00", outcome: "face_mismatch" });
    const before = run([], [mismatch]);
    expect(before).toEqual([expect.objectContaining({ rule: "D2", severity: "critical", lineIds: [], eventIds: [mismatch.id], alertKind: "impersonation_suspected" })]);
    const after = run([session], [mismatch]);
    expect(after).toEqual([expect.objectContaining({ rule: "D2", lineIds: ["H50010600123/L1"] })]);
    expect(after[0]?.id).toBe(before[0]?.id);
    const spoof = run([session], [event({ at: "2026-11-24T07:25:00+08:00", outcome: "suspected_spoof" })]);
    expect(spoof).toEqual([expect.objectContaining({ rule: "D2", alertKind: "spoof_suspected" })]);
  });

  it("D2: a mismatch followed by the patient's verified check-in in the same window is not impersonation", () => {
    const mismatch = event({ at: "2026-11-24T07:18:00+08:00", outcome: "face_mismatch" });
    expect(run([session], [mismatch, checkIn, checkOut])).toEqual([]);
  });

  it("D3: a verified check-in without check-out once 8 h have passed, not before", () => {
    expect(run([session], [checkIn], [], { asOf: Date.parse("2026-11-24T15:19:00+08:00") })).toEqual([]);
    const found = run([session], [checkIn], [], { asOf: Date.parse("2026-11-24T15:21:00+08:00") });
    expect(found).toEqual([expect.objectContaining({ rule: "D3", eventIds: [checkIn.id], lineIds: ["H50010600123/L1"] })]);
  });

  it("D3: a check-out whose card was unreadable still closes the check-in it names", () => {
    const anonymousOut = event({ kind: "dialysis.check_out", at: "2026-11-24T11:40:00+08:00", checkInId: checkIn.id, patient: null, outcome: "card_unreadable" });
    expect(run([session], [checkIn, anonymousOut])).toEqual([]);
    const unrelatedOut = event({ kind: "dialysis.check_out", at: "2026-11-24T11:40:00+08:00", checkInId: null, patient: null, outcome: "card_unreadable" });
    expect(rules(run([session], [checkIn, unrelatedOut], [], { asOf: Date.parse("2026-11-25T12:00:00+08:00") }))).toEqual(["D3"]);
  });

  it("D3: a session shorter than the item's minimum, by check-in and check-out", () => {
    const early = event({ kind: "dialysis.check_out", at: "2026-11-24T09:00:00+08:00" });
    const [found] = run([session], [checkIn, early]);
    expect(found).toMatchObject({ rule: "D3", eventIds: [checkIn.id, early.id].sort() });
    expect(found?.explanation.en).toContain("100 min");
    expect(run([session], [checkIn, early], [], { d3: { ...DEFAULTS.d3, minDurationMinutes: { ...DEFAULTS.d3.minDurationMinutes, haemodialysis: 90 } } })).toEqual([]);
  });

  it("D3 becomes C1 when the box went offline during the session", () => {
    const found = run([session], [checkIn], [status("chair-box-1", "offline", "2026-11-24T09:00:00+08:00")], { asOf: Date.parse("2026-11-25T00:00:00+08:00") });
    expect(found).toEqual([expect.objectContaining({ rule: "C1", eventIds: [checkIn.id] })]);
  });

  it("D4: overlapping sessions, critical across institutions, and none for back-to-back ones", () => {
    const elsewhere = item({ line: "X9", institution: "H45012400011", start: "2026-11-24 10:00", end: "2026-11-24 14:00" });
    const found = run([session, elsewhere], [checkIn, checkOut]).filter((f) => f.rule === "D4");
    expect(found).toEqual([expect.objectContaining({ severity: "critical", lineIds: ["H45012400011/X9", "H50010600123/L1"], alertKind: "overlapping_session" })]);
    const sameHouse = item({ line: "L2", start: "2026-11-24 09:00", end: null });
    expect(run([session, sameHouse]).filter((f) => f.rule === "D4")).toEqual([expect.objectContaining({ severity: "warning" })]);
    const backToBack = item({ line: "L3", start: "2026-11-24 11:35", end: "2026-11-24 15:00" });
    expect(run([session, backToBack]).filter((f) => f.rule === "D4")).toEqual([]);
  });

  it("D5: the session over three in a rolling seven days, once per excess session", () => {
    const days = ["2026-11-02", "2026-11-04", "2026-11-06", "2026-11-09", "2026-11-11", "2026-11-13", "2026-11-16", "2026-11-18", "2026-11-20"];
    const thriceWeekly = days.map((d, i) => item({ line: `W${i}`, start: `${d} 07:30` }));
    expect(run(thriceWeekly).filter((f) => f.rule === "D5")).toEqual([]);
    // Calendar days, not milliseconds: each Monday's session a little earlier than the last one's is
    // still three sessions in seven days.
    const drifting = days.map((d, i) => item({ line: `V${i}`, start: `${d} 07:${String(40 - i).padStart(2, "0")}` }));
    expect(run(drifting).filter((f) => f.rule === "D5")).toEqual([]);
    const extra = [item({ line: "E1", start: "2026-11-07 07:30" }), item({ line: "E2", start: "2026-11-08 07:30" })];
    const found = run([...thriceWeekly, ...extra]).filter((f) => f.rule === "D5");
    // Windows are (t - 7 d, t]: E1 on the 7th is the 4th after the 2nd, 4th, 6th; then the 8th, 9th,
    // 11th and 13th each have four or more before them within seven days; the 16th has only the 11th and 13th.
    expect(found.map((f) => /session at (\S+)/.exec(f.explanation.en)?.[1])).toEqual(["2026-11-07", "2026-11-08", "2026-11-09", "2026-11-11", "2026-11-13"]);
    expect(new Set(found.map((f) => f.id)).size).toBe(5);
    expect(found[0]).toMatchObject({ severity: "warning", lineIds: ["H50010600123/E1", "H50010600123/W0", "H50010600123/W1", "H50010600123/W2"] });
  });

  it("D6: outpatient dialysis on a day the patient is an inpatient elsewhere, but not on admission day", () => {
    const stay = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"].map((date, i) =>
      item({ line: `B${i}`, institution: "H45012400011", category: "bed_day", date, admission: "2026-11-20" }),
    );
    const found = run([session, ...stay], [checkIn, checkOut]).filter((f) => f.rule === "D6");
    expect(found).toEqual([expect.objectContaining({ severity: "critical", institution: "H50010600123", lineIds: ["H45012400011/B4", "H50010600123/L1"] })]);
    const onAdmission = item({ line: "L5", start: "2026-11-20 07:30" });
    expect(run([onAdmission, ...stay]).filter((f) => f.rule === "D6")).toEqual([]);
    const sameInstitution = stay.map((s) => ({ ...s, institution: "H50010600123" }));
    expect(run([session, ...sameInstitution]).filter((f) => f.rule === "D6")).toEqual([]);
  });

  it("a fully refunded session is no longer billed", () => {
    const refund = item({ line: "R1", quantity: -1, reverses: "L1" });
    expect(run([session, refund])).toEqual([]);
    const partial = item({ line: "R2", quantity: -1, start: "2026-11-24 07:30" });
    expect(run([session, partial])).toEqual([]);
  });
});

describe("reconciliation, time", () => {
  it("reads check-ins given in UTC against billing in China Standard Time", () => {
    const utc = event({ at: "2026-11-23T23:20:00Z" });
    const utcOut = event({ kind: "dialysis.check_out", at: "2026-11-24T03:40:00.000Z", checkInId: utc.id });
    expect(run([session], [utc, utcOut])).toEqual([]);
  });

  it("corrects a box clock by its measured drift, and not by a guess", () => {
    // The box runs two hours fast and knows it.
    const skewed = event({ at: "2026-11-24T09:20:00+08:00", driftMs: 2 * 3_600_000 });
    const skewedOut = event({ kind: "dialysis.check_out", at: "2026-11-24T13:40:00+08:00", driftMs: 2 * 3_600_000, checkInId: skewed.id });
    expect(skewed.at).toBe(Date.parse("2026-11-24T07:20:00+08:00"));
    expect(run([session], [skewed, skewedOut])).toEqual([]);
    const unknown = event({ at: "2026-11-24T09:20:00+08:00", driftMs: null });
    expect(rules(run([session], [unknown], [], { asOf: Date.parse("2026-11-24T12:00:00+08:00") }))).toEqual(["D1"]);
  });

  it("matches a night session crossing midnight, and sees an overlap on the next calendar day", () => {
    const night = item({ line: "N1", start: "2026-11-24 22:00", end: "2026-11-25 02:00" });
    const inAt = event({ at: "2026-11-24T21:40:00+08:00" });
    const outAt = event({ kind: "dialysis.check_out", at: "2026-11-25T02:05:00+08:00", checkInId: inAt.id });
    expect(run([night], [inAt, outAt])).toEqual([]);
    expect(night.serviceDate).toBe("2026-11-24");
    const nextDay = item({ line: "N2", institution: "H45012400011", start: "2026-11-25 01:00", end: "2026-11-25 05:00" });
    expect(rules(run([night, nextDay], [inAt, outAt]))).toContain("D4");
  });
});

describe("reconciliation, bed-days", () => {
  const bedDays = (dates: readonly string[], overrides: Partial<Parameters<typeof item>[0]> = {}): BilledItem[] =>
    dates.map((date, i) => item({ line: `BD${i}`, category: "bed_day", date, admission: "2026-11-20", discharge: "2026-11-26", ...overrides }));
  const rounds = (dates: readonly string[]): CheckEvent[] => dates.map((d) => event({ kind: "ward.bedside_check", at: `${d}T22:30:00+08:00`, shift: "night" }));
  const week = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"];

  it("finds nothing for a stay with a verified bedside check every day", () => {
    expect(run(bedDays(week), rounds(week))).toEqual([]);
  });

  it("B1: a night-round absence is critical; a day absence followed by a verified check is informational", () => {
    const absentNight = event({ kind: "ward.bedside_check", at: "2026-11-22T23:10:00+08:00", shift: "night", outcome: "absent" });
    const found = run(bedDays(week), [...rounds(week), absentNight]);
    expect(found).toEqual([expect.objectContaining({ rule: "B1", severity: "critical", lineIds: ["H50010600123/BD2"], eventIds: [absentNight.id], alertKind: "absent_inpatient" })]);
    const absentDay = event({ kind: "ward.bedside_check", at: "2026-11-23T10:00:00+08:00", shift: "day", outcome: "absent" });
    expect(run(bedDays(week), [...rounds(week), absentDay])).toEqual([expect.objectContaining({ rule: "B1", severity: "info" })]);
    expect(run(bedDays(week), [...rounds(week.filter((d) => d !== "2026-11-23")), absentDay])).toEqual([expect.objectContaining({ rule: "B1", severity: "warning" })]);
  });

  it("B1: a check at 05:59 belongs to the previous bed-day, one at 06:00 to its own day", () => {
    const billed = bedDays(["2026-11-22"]);
    const at0559 = event({ kind: "ward.bedside_check", at: "2026-11-23T05:59:00+08:00", shift: "night", outcome: "absent" });
    expect(run(billed, [at0559])).toEqual([expect.objectContaining({ rule: "B1", lineIds: ["H50010600123/BD0"] })]);
    const at0600 = event({ kind: "ward.bedside_check", at: "2026-11-23T06:00:00+08:00", shift: "night", outcome: "absent" });
    expect(run(billed, [at0600, ...rounds(["2026-11-22"])])).toEqual([]);
  });

  it("B1: an empty bed found without a card is matched by ward and bed", () => {
    const emptyBed = event({ kind: "ward.bedside_check", at: "2026-11-22T23:10:00+08:00", shift: "night", outcome: "absent", patient: null });
    expect(run(bedDays(week), [...rounds(week), emptyBed])).toEqual([expect.objectContaining({ rule: "B1", eventIds: [emptyBed.id], patientRef: refOf(ALICE) })]);
    const otherBed = event({ kind: "ward.bedside_check", at: "2026-11-22T23:10:00+08:00", shift: "night", outcome: "absent", patient: null, bed: "13" });
    expect(run(bedDays(week), [...rounds(week), otherBed])).toEqual([]);
  });

  it("B2: more than three consecutive billed days without a bedside check, unless a ward box was offline", () => {
    const found = run(bedDays(week), rounds(["2026-11-20"]));
    expect(found).toEqual([expect.objectContaining({ rule: "B2", lineIds: ["BD1", "BD2", "BD3", "BD4", "BD5"].map((l) => `H50010600123/${l}`) })]);
    expect(run(bedDays(week), rounds(["2026-11-20", "2026-11-23"]))).toEqual([]);
    // Offline over bed-days 22 and 23: they neither count nor break the run, which is then 21, 24, 25.
    const wardOffline = [status("ward-box-1", "offline", "2026-11-22T08:00:00+08:00", "ward_round"), status("ward-box-1", "online", "2026-11-23T20:00:00+08:00", "ward_round")];
    expect(run(bedDays(week), rounds(["2026-11-20"]), wardOffline)).toEqual([]);
    const shortOutage = [status("ward-box-1", "offline", "2026-11-22T08:00:00+08:00", "ward_round"), status("ward-box-1", "online", "2026-11-22T20:00:00+08:00", "ward_round")];
    expect(rules(run(bedDays(week), rounds(["2026-11-20"]), shortOutage))).toEqual(["B2"]);
  });

  it("B3: more bed-days billed than days between admission and discharge", () => {
    const stay = bedDays(["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"], { discharge: "2026-11-24" });
    const checks = rounds(["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]);
    expect(run(stay, checks)).toEqual([]);
    const extra = item({ line: "BD9", category: "bed_day", date: "2026-11-24", admission: "2026-11-20", discharge: "2026-11-24" });
    const found = run([...stay, extra], checks);
    expect(found).toEqual([expect.objectContaining({ rule: "B3", severity: "warning" })]);
    expect(found[0]?.explanation.en).toContain("at most 4 bed-days but 5");
  });
});

describe("reconciliation, determinism", () => {
  const items = [
    session,
    item({ line: "X9", institution: "H45012400011", start: "2026-11-24 10:00" }),
    item({ line: "L7", patient: BOB, start: "2026-11-24 12:00" }),
    ...["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"].map((date, i) => item({ line: `B${i}`, patient: BOB, category: "bed_day", date })),
  ];
  const events = [
    checkIn,
    event({ at: "2026-11-24T11:55:00+08:00", outcome: "face_mismatch", patient: BOB }),
    event({ kind: "ward.bedside_check", at: "2026-11-21T23:00:00+08:00", shift: "night", outcome: "absent", patient: BOB }),
  ];
  const statuses = [status("chair-box-1", "online", "2026-11-24T00:00:00+08:00")];

  function shuffled<T>(values: readonly T[], seed: number): T[] {
    const out = [...values];
    let s = seed;
    for (let i = out.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      const j = s % (i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  it("gives the same findings whatever the order of the input, late or duplicated", () => {
    const expected = run(items, events, statuses);
    // X9 unverified (D1), L1 never checked out by the end of the data (D3), L1/X9 overlap (D4),
    // Bob's mismatch (D2) and his night absence (B1).
    expect(new Set(rules(expected))).toEqual(new Set(["D1", "D2", "D3", "D4", "B1"]));
    for (let seed = 1; seed <= 20; seed++) {
      const again = run(shuffled([...items, ...items.slice(0, 3)], seed), shuffled([...events, ...events], seed + 100), shuffled(statuses, seed));
      expect(again).toEqual(expected);
    }
    // No two findings share an id.
    expect(new Set(expected.map((f) => f.id)).size).toBe(expected.length);
  });

  it("keeps the same copy of a line id billed twice with different bodies, whatever the order", () => {
    const early = item({ line: "L1", start: "2026-11-24 07:30" });
    const late = item({ line: "L1", start: "2026-11-24 15:00" });
    const a = run([early, late], [checkIn, checkOut]);
    expect(run([late, early], [checkIn, checkOut])).toEqual(a);
  });

  it("reads events as the gateway stores them (EventRecord.body)", () => {
    const message = eventMessage({ at: "2026-11-24T07:20:00+08:00" });
    const [parsed] = checkEventsOfRecords([
      { id: message.id, site: message.site, box: message.box, seq: message.seq, kind: message.kind, outcome: message.verification.outcome, occurredAt: 0, receivedAt: 0, subjectRef: message.subject.ref, bodyHash: "", body: JSON.stringify(message), gatewayId: "gw" },
    ]);
    expect(parsed).toMatchObject({ id: message.id, ref: refOf(ALICE), at: Date.parse("2026-11-24T07:20:00+08:00") });
  });
});
