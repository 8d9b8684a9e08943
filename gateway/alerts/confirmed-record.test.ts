import { describe, expect, it } from "vitest";
import type { AlertCase, AlertCaseHistory, AlertState, AlertTransition, WatchListEntry } from "../store/alert-case-records.js";
import { chinaMonthOf, confirmedCasesCsv, confirmedRecord, ConfirmedRecordView } from "./confirmed-record.js";

/** The confirmed-case record from cases and their transitions, as a supervisor's office reads it. */
const SITE = "H50010600123";
const OTHER = "H50010600999";
const at = (text: string): number => Date.parse(text);
const ref = (n: number): string => n.toString(16).padStart(64, "0");

interface CaseSpec {
  readonly n: number;
  readonly rule?: string;
  readonly kind?: AlertCase["kind"];
  readonly site?: string;
  readonly patient?: number | null;
  readonly occurred: string;
  /** The verdict steps after acknowledging, in order. */
  readonly steps: readonly ("confirm" | "dismiss" | "close")[];
  readonly note?: string;
}

const TO: Record<"confirm" | "dismiss" | "close", AlertState> = { confirm: "confirmed", dismiss: "dismissed", close: "closed" };

function history(spec: CaseSpec): AlertCaseHistory {
  const id = spec.n.toString(16).padStart(32, "0");
  const site = spec.site ?? SITE;
  const patientRef = spec.patient === null ? null : ref(spec.patient ?? spec.n);
  const kind = spec.kind ?? "impersonation_suspected";
  const rule = spec.rule ?? "D2";
  const occurredAt = at(spec.occurred);
  const body = JSON.stringify({
    v: 1, id, kind, rule, severity: "critical", site, raisedAt: new Date(occurredAt + 60_000).toISOString(),
    subject: patientRef === null ? null : { ref: patientRef, masked: `1101**********00${String(spec.n % 10)}X` },
    patientNameMasked: "王*英", evidence: { eventIds: [], boxes: [] }, summary: "s",
  });
  const transitions: AlertTransition[] = [{ alertId: id, from: null, to: "open", action: "raise", actor: "rules", reason: null, note: null, at: occurredAt + 60_000 }];
  const step = (action: string, to: AlertState, note: string | null = null): void => {
    transitions.push({ alertId: id, from: transitions.at(-1)?.to ?? null, to, action, actor: "supervisor:chen", reason: null, note, at: occurredAt + (transitions.length + 1) * 3_600_000 });
  };
  if (spec.steps.length > 0) step("acknowledge", "acknowledged");
  for (const s of spec.steps) step(s, TO[s], s === "confirm" ? (spec.note ?? "video reviewed") : s === "dismiss" ? "camera glare" : null);
  const last = transitions.at(-1);
  const alert: AlertCase = { id, rule, kind, severity: "critical", site, patientRef, occurredAt, raisedAt: occurredAt + 60_000, state: last?.to ?? "open", stateChangedAt: last?.at ?? 0, source: "ingest", body, resolution: null, publishedAt: null };
  return { alert, transitions };
}

const watch = (patient: number, site = SITE): WatchListEntry => ({ cardRef: ref(patient), site, faceTemplateId: null, alertId: "0".repeat(32), addedBy: "supervisor:chen", addedAt: 0 });

describe("the confirmed-case record", () => {
  it("counts a confirmed case and one closed after confirming, never a dismissed, open or another institution's case", () => {
    const record = confirmedRecord({
      site: SITE,
      histories: [
        history({ n: 1, occurred: "2026-03-02T09:00:00+08:00", steps: ["confirm"], note: "nurse saw another person" }),
        history({ n: 2, occurred: "2026-03-03T09:00:00+08:00", steps: ["confirm", "close"] }),
        history({ n: 3, occurred: "2026-03-04T09:00:00+08:00", steps: ["dismiss"] }),
        history({ n: 4, occurred: "2026-03-05T09:00:00+08:00", steps: ["dismiss", "close"] }),
        history({ n: 5, occurred: "2026-03-06T09:00:00+08:00", steps: [] }),
        history({ n: 6, site: OTHER, occurred: "2026-03-07T09:00:00+08:00", steps: ["confirm"] }),
      ],
      watchList: [watch(1), watch(2, OTHER)],
    });
    expect(record.cases.map((c) => [c.alertId.slice(-1), c.state, c.onWatchList])).toEqual([
      ["1", "confirmed", true],
      // Patient 2's card is watched at another institution only.
      ["2", "closed", false],
    ]);
    expect(record.totals).toEqual({ cases: 2, patients: 2, repeatPatients: 0, onWatchList: 1 });
    expect(record.cases[0]).toMatchObject({
      rule: "D2",
      kind: "impersonation_suspected",
      patientRef: ref(1),
      patientMasked: "1101**********001X",
      patientNameMasked: "王*英",
      occurredAt: "2026-03-02T01:00:00.000Z",
      confirmedAt: new Date(at("2026-03-02T09:00:00+08:00") + 3 * 3_600_000).toISOString(),
      confirmedBy: "supervisor:chen",
      confirmationNote: "nurse saw another person",
      evidencePath: `/api/v1/alerts/${"0".repeat(31)}1/evidence`,
    });
    expect(() => ConfirmedRecordView.parse(record)).not.toThrow();
  });

  it("puts a case in the CST calendar month it occurred in, whatever the UTC date", () => {
    expect(chinaMonthOf(at("2026-03-31T23:59:59+08:00"))).toBe("2026-03");
    expect(chinaMonthOf(at("2026-04-01T00:00:00+08:00"))).toBe("2026-04"); // still 31 March in UTC
    expect(chinaMonthOf(at("2026-03-31T16:00:00Z"))).toBe("2026-04");
    const record = confirmedRecord({
      site: SITE,
      histories: [
        history({ n: 1, occurred: "2026-03-31T23:59:59+08:00", steps: ["confirm"] }),
        history({ n: 2, rule: "W1", kind: "watchlisted_card_presented", occurred: "2026-04-01T00:00:00+08:00", steps: ["confirm"] }),
        history({ n: 3, occurred: "2026-04-30T23:30:00+08:00", steps: ["confirm", "close"] }),
      ],
      watchList: [],
    });
    expect(record.byMonth).toEqual([
      { month: "2026-03", cases: 1, byRule: { D2: 1 } },
      { month: "2026-04", cases: 2, byRule: { W1: 1, D2: 1 } },
    ]);
    expect(record.byRule).toEqual([{ rule: "D2", cases: 2 }, { rule: "W1", cases: 1 }]);
    expect(record.byKind).toEqual([{ kind: "impersonation_suspected", cases: 2 }, { kind: "watchlisted_card_presented", cases: 1 }]);
  });

  it("keeps to [from, to) of when the fact occurred", () => {
    const histories = [
      history({ n: 1, occurred: "2026-03-31T23:59:59+08:00", steps: ["confirm"] }),
      history({ n: 2, occurred: "2026-04-01T00:00:00+08:00", steps: ["confirm"] }),
      history({ n: 3, occurred: "2026-05-01T00:00:00+08:00", steps: ["confirm"] }),
    ];
    const april = confirmedRecord({ site: SITE, histories, watchList: [], range: { from: at("2026-04-01T00:00:00+08:00"), to: at("2026-05-01T00:00:00+08:00") } });
    expect(april.cases.map((c) => c.alertId.slice(-1))).toEqual(["2"]);
    expect([april.from, april.to]).toEqual(["2026-03-31T16:00:00.000Z", "2026-04-30T16:00:00.000Z"]);
    expect(confirmedRecord({ site: SITE, histories, watchList: [] })).toMatchObject({ from: null, to: null, totals: { cases: 3 } });
  });

  it("lists patients by how many confirmed cases each has, repeat offenders first; a case without a patient is counted but names nobody", () => {
    const record = confirmedRecord({
      site: SITE,
      histories: [
        history({ n: 1, patient: 7, occurred: "2026-03-01T09:00:00+08:00", steps: ["confirm"] }),
        history({ n: 2, patient: 8, occurred: "2026-03-02T09:00:00+08:00", steps: ["confirm"] }),
        history({ n: 3, patient: 7, rule: "W1", kind: "watchlisted_card_presented", occurred: "2026-03-03T09:00:00+08:00", steps: ["confirm"] }),
        history({ n: 4, patient: 7, occurred: "2026-03-04T09:00:00+08:00", steps: ["dismiss"] }),
        history({ n: 5, patient: null, rule: "C1", kind: "unverifiable_box_offline", occurred: "2026-03-05T09:00:00+08:00", steps: ["confirm"] }),
        history({ n: 6, patient: 9, occurred: "2026-03-06T09:00:00+08:00", steps: ["confirm"] }),
      ],
      watchList: [watch(7)],
    });
    expect(record.patients.map((p) => [p.patientRef, p.cases, p.rules])).toEqual([
      [ref(7), 2, ["D2", "W1"]],
      [ref(9), 1, ["D2"]], // the more recent of the single cases first
      [ref(8), 1, ["D2"]],
    ]);
    expect(record.patients[0]).toMatchObject({ patientMasked: "1101**********003X", firstOccurredAt: "2026-03-01T01:00:00.000Z", lastOccurredAt: "2026-03-03T01:00:00.000Z" });
    expect(record.totals).toEqual({ cases: 5, patients: 3, repeatPatients: 1, onWatchList: 2 });
  });

  it("writes the case rows as a CSV for Excel: BOM, CST times, quoted cells, formula cells made inert", () => {
    const record = confirmedRecord({
      site: SITE,
      histories: [
        history({ n: 1, occurred: "2026-03-31T23:30:00+08:00", steps: ["confirm", "close"], note: '=HYPERLINK("http://evil.example/","x")' }),
        history({ n: 2, occurred: "2026-04-01T08:00:00+08:00", steps: ["confirm"], note: "@SUM(1), then\na second line" }),
      ],
      watchList: [watch(2)],
    });
    const csv = confirmedCasesCsv(record);
    expect(csv.startsWith("\uFEFFalert_id,rule,kind,severity,patient_ref,patient_masked,")).toBe(true);
    const lines = csv.slice(1).split("\r\n");
    expect(lines).toHaveLength(4); // header, two rows, the final CRLF
    expect(lines[1]).toBe(
      `${"0".repeat(31)}1,D2,impersonation_suspected,critical,${ref(1)},1101**********001X,王*英,2026-03-31 23:30:00,2026-03,2026-04-01 02:30:00,supervisor:chen,,"'=HYPERLINK(""http://evil.example/"",""x"")",closed,no,/api/v1/alerts/${"0".repeat(31)}1/evidence`,
    );
    expect(lines[2]).toContain(`,"'@SUM(1), then\na second line",confirmed,yes,`);
    for (const cell of csv.slice(1).split(/,|\r\n/)) expect(cell, cell).not.toMatch(/^"?[=+\-@]/);
    expect(confirmedCasesCsv(confirmedRecord({ site: SITE, histories: [], watchList: [] }))).toBe(`\uFEFF${lines[0] ?? ""}\r\n`);
  });
});
