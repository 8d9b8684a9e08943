import { normaliseAlert, patientText } from "../alert-view.js";
import { h, replace, table } from "../dom.js";
import { explanationText, formatTime, label, ruleName, t } from "../i18n.js";
import { actionButtons } from "./alert-actions.js";

/**
 * One alert: its facts, the rule's explanation, its actions, the timeline of billing rows, check
 * events and box status around it, its state history, and the signed evidence bundle to download.
 */
function list(value) {
  return Array.isArray(value) ? value : [];
}

/** Timeline entries from either one merged list ({kind|type, at, ...}) or one list per source. */
export function timelineEntries(detail) {
  const timeline = detail.timeline ?? detail.evidence?.timeline ?? null;
  const entries = [];
  const push = (kind, item) => entries.push({ kind, at: item.at ?? item.time ?? item.serviceStart ?? item.receivedAt ?? null, item });
  if (Array.isArray(timeline)) {
    for (const item of timeline) push(item.kind ?? item.type ?? item.source ?? "event", item);
  } else if (timeline !== null && typeof timeline === "object") {
    for (const item of list(timeline.billing ?? timeline.billingRows)) push("billing", item);
    for (const item of list(timeline.events)) push("event", item);
    for (const item of list(timeline.status ?? timeline.boxStatus)) push("status", item);
  }
  const kindOf = (kind) => (/bill/i.test(kind) ? "billing" : /status|box/i.test(kind) ? "status" : "event");
  return entries
    .map((entry) => ({ ...entry, kind: kindOf(String(entry.kind)) }))
    .sort((a, b) => (Date.parse(a.at ?? "") || 0) - (Date.parse(b.at ?? "") || 0));
}

/** One timeline entry as text: the gateway's own line (`text`) when it gives one, with the entry's id. */
function describeEntry(entry) {
  const item = entry.item;
  const detail = item.detail !== null && typeof item.detail === "object" ? item.detail : item;
  if (entry.kind === "billing") {
    const when = [detail.serviceStart, detail.serviceEnd].filter((v) => v !== null && v !== undefined).map(formatTime).join(" – ");
    const what = item.text ?? [detail.itemName ?? detail.itemCode, detail.quantity].filter(Boolean).join(" × ");
    return [h("span", { class: "mono" }, String(item.id ?? detail.lineId ?? "")), " ", what, when ? ` (${when})` : "", detail.patientNameMasked ? ` ${detail.patientNameMasked}` : ""];
  }
  if (entry.kind === "status") {
    const state = detail.state ?? "";
    return [h("span", { class: state === "online" ? "state-online" : "state-offline" }, t(state)), " ", detail.box ?? "", detail.reason ? ` (${detail.reason})` : ""];
  }
  const event = detail.event ?? detail;
  const text = item.text ?? [event.kind, event.verification?.outcome ?? event.outcome, event.box].filter(Boolean).join(" ");
  const verified = detail.signatureVerified === true ? " ✓" : detail.signatureVerified === false ? " ✗" : "";
  return [text, verified, " ", h("span", { class: "mono" }, String(item.id ?? event.id ?? ""))];
}

const KIND_LABELS = { billing: "timelineBilling", event: "timelineEvent", status: "timelineStatus" };

export async function renderAlertDetail(context, container, id) {
  const detail = await context.api.get(`/alerts/${encodeURIComponent(id)}`);
  const alert = normaliseAlert(detail.alert ?? detail);
  const explanation = detail.rule?.explanation ?? detail.explanation ?? alert.explanation;
  const message = h("p", { role: "status" });
  const downloadButton = h(
    "button",
    {
      type: "button",
      id: "download-evidence",
      onclick: async () => {
        try {
          await context.api.download(`/alerts/${encodeURIComponent(alert.id)}/evidence`, `carewitness-evidence-${alert.id}.json`);
          message.textContent = t("evidenceDownloaded");
        } catch (failure) {
          message.textContent = t("loadFailed", { message: failure.message });
        }
      },
    },
    t("downloadEvidence"),
  );

  const entries = timelineEntries(detail);
  const history = list(detail.history ?? detail.stateHistory ?? detail.transitions);
  const facts = h(
    "dl",
    { class: "facts" },
    h("dt", {}, t("colRule")),
    h("dd", {}, ruleName(alert.rule)),
    h("dt", {}, t("colSeverity")),
    h("dd", { class: `sev-${alert.severity}` }, label("severity", alert.severity)),
    h("dt", {}, t("colState")),
    h("dd", { "data-field": "state" }, label("state", alert.state)),
    h("dt", {}, t("colInstitution")),
    h("dd", {}, h("a", { href: `#/institutions/${encodeURIComponent(alert.institution)}` }, alert.institution)),
    h("dt", {}, t("colPatient")),
    h("dd", {}, patientText(alert)),
    h("dt", {}, t("colRaised")),
    h("dd", {}, formatTime(alert.raisedAt)),
  );

  const rerender = (updated, refused) => {
    if (refused !== null) {
      message.textContent = refused;
      return;
    }
    void renderAlertDetail(context, container, updated?.id || id);
  };

  replace(
    container,
    h("p", {}, h("a", { href: "#/alerts" }, `← ${t("backToInbox")}`)),
    h("h1", {}, `${t("detailTitle")}: ${ruleName(alert.rule)}`),
    facts,
    actionButtons(context, alert, rerender),
    message,
    h("section", { "aria-labelledby": "explanation-title" }, h("h2", { id: "explanation-title" }, t("ruleExplanation")), h("p", { class: "explanation" }, explanationText(explanation) || alert.summary || "—")),
    h(
      "section",
      { "aria-labelledby": "timeline-title" },
      h("h2", { id: "timeline-title" }, t("timeline")),
      entries.length === 0
        ? h("p", {}, t("noTimeline"))
        : h(
            "ol",
            { class: "timeline" },
            entries.map((entry) =>
              h("li", { "data-kind": entry.kind }, h("span", { class: "kind" }, t(KIND_LABELS[entry.kind])), " ", h("time", {}, formatTime(entry.at)), h("div", {}, describeEntry(entry))),
            ),
          ),
    ),
    h(
      "section",
      { "aria-labelledby": "history-title" },
      h("h2", { id: "history-title" }, t("stateHistory")),
      table(
        t("stateHistory"),
        [t("colAt"), t("colState"), t("by"), t("reason"), t("note")],
        history.map((entry) =>
          h(
            "tr",
            {},
            h("td", {}, formatTime(entry.at)),
            h("td", {}, label("state", entry.state ?? entry.to)),
            h("td", {}, entry.actor ?? entry.by ?? "—"),
            h("td", {}, entry.reason ?? ""),
            h("td", {}, entry.note ?? ""),
          ),
        ),
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "evidence-title" },
      h("h2", { id: "evidence-title" }, t("evidence")),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("billingLines")),
        h("dd", { class: "mono" }, alert.billingLineIds.join(", ") || "—"),
        h("dt", {}, t("events")),
        h("dd", { class: "mono" }, alert.eventIds.join(", ") || "—"),
      ),
      downloadButton,
    ),
  );
}
