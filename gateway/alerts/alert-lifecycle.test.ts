import { describe, expect, it } from "vitest";
import { ALERT_STATES, type AlertCase, type AlertState } from "../store/alert-case-records.js";
import { allowedActions, decideAction, decideAutoResolve, type AlertAction } from "./alert-lifecycle.js";

const inState = (state: AlertState): AlertCase => ({
  id: "0".repeat(32), rule: "D1", kind: "billed_not_verified", severity: "warning", site: "H1", patientRef: null, occurredAt: 0, raisedAt: 0,
  state, stateChangedAt: 0, source: "reconcile", body: "{}", resolution: null, publishedAt: null,
});
const act = (state: AlertState, action: AlertAction, reason: string | null = null, note: string | null = null) => decideAction(inState(state), { action, reason, note });

describe("alert lifecycle", () => {
  it("runs open → acknowledged → confirmed | dismissed → closed", () => {
    expect(act("open", "acknowledge")).toMatchObject({ result: "apply", to: "acknowledged" });
    expect(act("acknowledged", "confirm")).toMatchObject({ result: "apply", to: "confirmed" });
    expect(act("acknowledged", "dismiss", "camera", "glare on the lens")).toMatchObject({ result: "apply", to: "dismissed" });
    expect(act("confirmed", "close")).toMatchObject({ result: "apply", to: "closed" });
    expect(act("dismissed", "close")).toMatchObject({ result: "apply", to: "closed" });
  });

  it("refuses every other transition and names what is allowed", () => {
    const allowed: Record<AlertState, AlertAction[]> = { open: ["acknowledge"], acknowledged: ["confirm", "dismiss"], confirmed: ["close"], dismissed: ["close"], closed: [], auto_resolved: [] };
    for (const state of ALERT_STATES) {
      expect(allowedActions(state)).toEqual(allowed[state]);
      for (const action of ["acknowledge", "confirm", "dismiss", "close"] as const) {
        if (allowed[state].includes(action)) continue;
        const decision = act(state, action, "r", "n");
        expect(decision.result, `${state} ${action}`).toBe("refuse");
        if (decision.result === "refuse") expect(decision.detail).toContain(`allowed: ${allowed[state].length === 0 ? "none" : allowed[state].join(", ")}`);
      }
    }
  });

  it("dismissing needs both a reason and a note", () => {
    expect(act("acknowledged", "dismiss", null, "n")).toMatchObject({ result: "refuse", detail: "dismiss needs a reason and a note" });
    expect(act("acknowledged", "dismiss", "r", " ")).toMatchObject({ result: "refuse" });
  });

  it("auto-resolves only what nobody has reviewed", () => {
    const reason = { zh: "z", en: "e" };
    expect(decideAutoResolve(inState("open"), reason)).toMatchObject({ result: "apply", to: "auto_resolved", resolution: JSON.stringify(reason) });
    expect(decideAutoResolve(inState("acknowledged"), reason)).toMatchObject({ result: "apply" });
    for (const state of ["confirmed", "dismissed", "closed", "auto_resolved"] as const) expect(decideAutoResolve(inState(state), reason).result).toBe("refuse");
  });
});
