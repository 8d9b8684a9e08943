import type { AlertCase, AlertState, TransitionDecision } from "../store/alert-case-records.js";

/**
 * The lifecycle a supervisor drives (issue 7 §3): open → acknowledged → confirmed | dismissed →
 * closed. Dismissing needs a reason and a note (the verdict feeds each rule's precision, so a bare
 * "no" teaches nothing). auto_resolved is the runner's own end state: a later row or event explained
 * the cause, and the reason is kept with the alert.
 */
export const ALERT_ACTIONS = ["acknowledge", "confirm", "dismiss", "close"] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

const TRANSITIONS: Readonly<Record<AlertState, Partial<Record<AlertAction, AlertState>>>> = {
  open: { acknowledge: "acknowledged" },
  acknowledged: { confirm: "confirmed", dismiss: "dismissed" },
  confirmed: { close: "closed" },
  dismissed: { close: "closed" },
  closed: {},
  auto_resolved: {},
};

/** States the rule runner may still resolve on its own: nobody has given a verdict yet. */
export const UNREVIEWED_STATES: readonly AlertState[] = ["open", "acknowledged"];

export function allowedActions(state: AlertState): AlertAction[] {
  return ALERT_ACTIONS.filter((action) => TRANSITIONS[state][action] !== undefined);
}

export interface ActionInput {
  readonly action: AlertAction;
  readonly reason: string | null;
  readonly note: string | null;
}

export function decideAction(current: AlertCase, input: ActionInput): TransitionDecision {
  const to = TRANSITIONS[current.state][input.action];
  if (to === undefined) {
    const allowed = allowedActions(current.state);
    return { result: "refuse", detail: `cannot ${input.action} an alert that is ${current.state}; allowed: ${allowed.length === 0 ? "none" : allowed.join(", ")}` };
  }
  if (input.action === "dismiss" && (input.reason === null || input.reason.trim() === "" || input.note === null || input.note.trim() === "")) {
    return { result: "refuse", detail: "dismiss needs a reason and a note" };
  }
  return { result: "apply", to, resolution: null };
}

/** The runner's decision: resolve only what nobody has reviewed yet. */
export function decideAutoResolve(current: AlertCase, reason: { zh: string; en: string }): TransitionDecision {
  if (!UNREVIEWED_STATES.includes(current.state)) return { result: "refuse", detail: `already ${current.state}` };
  return { result: "apply", to: "auto_resolved", resolution: JSON.stringify(reason) };
}
