import { API_BASE } from "../api.js";
import { h, table } from "../dom.js";
import { formatTime, label, ruleName, t } from "../i18n.js";

/**
 * The institution's record of confirmed cases (GET /institutions/{site}/confirmed-cases, issue 7 §5
 * "after"): totals, counts by rule and by CST month, patients with repeat offenders first, and one
 * row per case with a link to its detail and its signed evidence; the case rows as a CSV for Excel.
 * Downloads go through the API with the token (a plain link could not carry it).
 */
function list(value) {
  return Array.isArray(value) ? value : [];
}

/** The record read defensively: a field the gateway adds or drops does not break the page. */
export function readConfirmedRecord(raw) {
  const source = raw !== null && typeof raw === "object" ? raw : {};
  const totals = source.totals ?? {};
  const cases = list(source.cases).map((c) => ({
    alertId: String(c.alertId ?? c.id ?? ""),
    rule: String(c.rule ?? ""),
    severity: String(c.severity ?? ""),
    patient: [c.patientNameMasked, c.patientMasked].filter((v) => typeof v === "string" && v !== "").join(" ") || "—",
    occurredAt: c.occurredAt ?? null,
    confirmedAt: c.confirmedAt ?? null,
    confirmedBy: String(c.confirmedBy ?? "—"),
    note: typeof c.confirmationNote === "string" ? c.confirmationNote : "",
    state: String(c.state ?? ""),
    onWatchList: c.onWatchList === true,
    evidencePath: typeof c.evidencePath === "string" && c.evidencePath.startsWith(`${API_BASE}/`) ? c.evidencePath.slice(API_BASE.length) : `/alerts/${encodeURIComponent(String(c.alertId ?? ""))}/evidence`,
  }));
  return {
    totals: { cases: Number(totals.cases ?? cases.length), patients: Number(totals.patients ?? 0), repeat: Number(totals.repeatPatients ?? 0), watched: Number(totals.onWatchList ?? 0) },
    byRule: list(source.byRule).map((r) => ({ rule: String(r.rule ?? ""), cases: Number(r.cases ?? 0) })),
    byMonth: list(source.byMonth).map((m) => ({ month: String(m.month ?? ""), cases: Number(m.cases ?? 0), byRule: m.byRule !== null && typeof m.byRule === "object" ? m.byRule : {} })),
    patients: list(source.patients).map((p) => ({
      patient: [p.patientNameMasked, p.patientMasked].filter((v) => typeof v === "string" && v !== "").join(" ") || `${String(p.patientRef ?? "").slice(0, 12)}…`,
      cases: Number(p.cases ?? 0),
      rules: list(p.rules).map(String),
      lastOccurredAt: p.lastOccurredAt ?? null,
    })),
    cases,
  };
}

function downloadButton(context, message, text, attributes, path, fallbackName, done) {
  return h(
    "button",
    {
      type: "button",
      ...attributes,
      onclick: async () => {
        try {
          await context.api.download(path, fallbackName);
          message.textContent = done;
        } catch (failure) {
          message.textContent = t("loadFailed", { message: failure.message });
        }
      },
    },
    text,
  );
}

function caseRow(context, message, c) {
  return h(
    "tr",
    { "data-case-id": c.alertId },
    h("td", {}, formatTime(c.occurredAt)),
    h("td", {}, ruleName(c.rule)),
    h("td", {}, c.patient),
    h("td", {}, formatTime(c.confirmedAt)),
    h("td", {}, c.confirmedBy),
    h("td", {}, c.note),
    h("td", { "data-field": "state" }, label("state", c.state)),
    h("td", {}, c.onWatchList ? t("yes") : t("no")),
    h(
      "td",
      {},
      h(
        "div",
        { class: "row-actions" },
        h("a", { href: `#/alerts/${encodeURIComponent(c.alertId)}`, "aria-label": t("openCaseLabel", { id: c.alertId }) }, t("open")),
        downloadButton(context, message, t("evidenceBundle"), { "aria-label": t("downloadCaseEvidence", { id: c.alertId }) }, c.evidencePath, `carewitness-evidence-${c.alertId}.json`, t("evidenceDownloaded")),
      ),
    ),
  );
}

/** The section for the institution view; `record` is the API's answer or `{error}`. */
export function confirmedCasesSection(context, site, record) {
  const title = h("h2", { id: "confirmed-title" }, t("confirmedTitle"));
  if (record.error) return h("section", { "aria-labelledby": "confirmed-title" }, title, h("p", { class: "message error" }, t("loadFailed", { message: record.error.message })));
  const view = readConfirmedRecord(record);
  const message = h("p", { role: "status" });
  const csv = downloadButton(
    context,
    message,
    t("downloadCsv"),
    { id: "download-confirmed-csv" },
    `/institutions/${encodeURIComponent(site)}/confirmed-cases?format=csv`,
    `carewitness-confirmed-cases-${site}.csv`,
    t("csvDownloaded"),
  );
  const body =
    view.totals.cases === 0
      ? [h("p", {}, t("confirmedNone"))]
      : [
          h("p", { "data-field": "confirmed-totals" }, t("confirmedTotals", view.totals)),
          csv,
          message,
          table(t("confirmedByRule"), [t("colRule"), t("cases")], view.byRule.map((r) => h("tr", {}, h("td", {}, ruleName(r.rule)), h("td", {}, String(r.cases))))),
          table(
            t("confirmedByMonth"),
            [t("month"), t("cases"), t("colRule")],
            view.byMonth.map((m) => h("tr", {}, h("td", {}, m.month), h("td", {}, String(m.cases)), h("td", {}, Object.entries(m.byRule).map(([rule, n]) => `${rule} ${String(n)}`).join(", ")))),
          ),
          table(
            t("confirmedPatients"),
            [t("colPatient"), t("cases"), t("colRule"), t("lastOccurred")],
            view.patients.map((p) => h("tr", {}, h("td", {}, p.patient), h("td", {}, String(p.cases)), h("td", {}, p.rules.join(", ")), h("td", {}, formatTime(p.lastOccurredAt)))),
          ),
          table(
            t("confirmedCasesTable"),
            [t("colOccurred"), t("colRule"), t("colPatient"), t("colConfirmedAt"), t("colConfirmedBy"), t("note"), t("colState"), t("colWatchList"), t("colActions")],
            view.cases.map((c) => caseRow(context, message, c)),
          ),
        ];
  return h("section", { "aria-labelledby": "confirmed-title" }, title, h("p", {}, t("confirmedHelp")), body);
}
