/**
 * What the dashboard shows of an alert, read from the gateway's alert view. The gateway's shape is
 * the truth (gateway/alerts/); this reads it defensively so a field added there does not break the
 * page, and a field missing shows as "unknown" rather than an exception.
 */

/** Resident ID numbers (18 characters, GB 11643) and the old 15-digit form, anywhere in a text. */
const ID_NUMBER = /(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])/g;

/**
 * The last line of defence for "no raw ID numbers anywhere": every text the page shows passes
 * through this, so even an explanation or note that quotes a number shows it masked as the wire
 * contract masks it (four characters kept at each end).
 */
export function maskIdNumbers(text) {
  return String(text).replace(ID_NUMBER, (whole) => `${whole.slice(0, 4)}${"*".repeat(whole.length - 8)}${whole.slice(-4).toUpperCase()}`);
}

function firstString(...values) {
  for (const value of values) if (typeof value === "string" && value !== "") return value;
  return null;
}

function stringList(value) {
  return Array.isArray(value) ? value.filter((v) => typeof v === "string") : [];
}

/** One alert (from the list, the stream or the detail) as the fields the page uses. */
export function normaliseAlert(raw) {
  const source = raw !== null && typeof raw === "object" ? raw : {};
  // The first API returned {alert: AlertMessage, publishedAt}; the alert back end returns the alert itself.
  const inner = source.alert !== null && typeof source.alert === "object" ? { ...source.alert, ...source } : source;
  const subject = inner.subject !== null && typeof inner.subject === "object" ? inner.subject : null;
  const evidence = inner.evidence !== null && typeof inner.evidence === "object" ? inner.evidence : {};
  return {
    id: firstString(inner.id, source.alert?.id) ?? "",
    rule: firstString(inner.rule, inner.ruleId, inner.kind) ?? "",
    kind: firstString(inner.kind),
    severity: firstString(inner.severity) ?? "",
    state: firstString(inner.state, inner.status) ?? "open",
    institution: firstString(inner.institution, inner.site) ?? "",
    raisedAt: firstString(inner.raisedAt, inner.createdAt, inner.at),
    updatedAt: firstString(inner.updatedAt, inner.stateChangedAt),
    patientMasked: firstString(inner.patientMasked, subject?.masked, inner.patient?.masked),
    patientNameMasked: firstString(inner.patientNameMasked),
    explanation: inner.explanation ?? null,
    summary: firstString(inner.summary),
    billingLineIds: stringList(inner.billingLineIds ?? evidence.billingLineIds),
    eventIds: stringList(inner.eventIds ?? evidence.eventIds),
    boxes: stringList(inner.boxes ?? evidence.boxes),
    allowedActions: Array.isArray(inner.allowedActions) ? stringList(inner.allowedActions) : null,
  };
}

/** Whether an alert passes the inbox's current filters (for alerts arriving on the stream). */
export function matchesFilter(alert, filter) {
  if (filter.site && alert.institution !== filter.site) return false;
  if (filter.rule && alert.rule !== filter.rule) return false;
  if (filter.severity && alert.severity !== filter.severity) return false;
  if (filter.state && alert.state !== filter.state) return false;
  const at = alert.raisedAt === null ? NaN : Date.parse(alert.raisedAt);
  if (filter.from && !(at >= Date.parse(filter.from))) return false;
  if (filter.to && !(at <= Date.parse(filter.to))) return false;
  return true;
}

/** The lifecycle (issue 7 §3, gateway/alerts/alert-lifecycle.ts): the actions from a state, when the gateway does not list them. */
export const TRANSITIONS = {
  open: ["acknowledge"],
  acknowledged: ["confirm", "dismiss"],
  confirmed: ["close"],
  dismissed: ["close"],
  closed: [],
  auto_resolved: [],
};

export function actionsFor(alert) {
  return alert.allowedActions ?? TRANSITIONS[alert.state] ?? [];
}

/** The patient as a supervisor may see them: masked name and masked ID number, never more. */
export function patientText(alert) {
  return [alert.patientNameMasked, alert.patientMasked].filter(Boolean).join(" ") || "—";
}
