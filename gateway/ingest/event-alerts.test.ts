import { describe, expect, it } from "vitest";
import { alertId, AlertMessage, type EventMessage } from "../../protocol/index.js";
import { exampleMessages } from "../../protocol/examples.js";
import { alertsForEvent, raisesAlert } from "./event-alerts.js";

const examples = exampleMessages();
const RAISED_AT = Date.parse("2026-11-24T13:10:01Z");

describe("alerts a single event justifies", () => {
  it("E1: an enrolment whose face is already enrolled under another card raises one critical 'duplicate identity' alert", () => {
    const enrolment = examples.faceEnrolment.message;
    expect(raisesAlert(enrolment.verification.outcome)).toBe(true);
    const [record, ...rest] = alertsForEvent(enrolment, RAISED_AT);
    expect(rest).toEqual([]);
    expect(record).toMatchObject({ id: alertId("duplicate_identity", [enrolment.id]), kind: "duplicate_identity", site: enrolment.site, subjectRef: enrolment.subject.ref });
    const alert = AlertMessage.parse(JSON.parse(record?.body ?? "{}"));
    expect(alert).toMatchObject({ rule: "E1", severity: "critical", evidence: { eventIds: [enrolment.id], boxes: [enrolment.box] }, subject: { masked: enrolment.subject.masked } });
    expect(alert.explanation?.zh).toContain("一人两证");
    // The other card is not named in the alert (the evidence event carries it), and no raw ID number is.
    expect(record?.body).not.toMatch(/\d{17}[\dXx]/);
  });

  it("E1: an enrolment of a face found under no other card raises nothing; checks keep their own alerts", () => {
    const enrolment = examples.faceEnrolment.message;
    if (enrolment.kind !== "enrolment.face_enrolled") throw new Error("example is not an enrolment");
    const clean: EventMessage = { ...enrolment, enrolment: { ...enrolment.enrolment, duplicateOf: [] } };
    expect(alertsForEvent(clean, RAISED_AT)).toEqual([]);
    expect(alertsForEvent(examples.dialysisCheckIn.message, RAISED_AT)).toEqual([]);
    expect(alertsForEvent(examples.wardBedsideAbsent.message, RAISED_AT).map((a) => a.kind)).toEqual(["absent_inpatient"]);
  });
});
