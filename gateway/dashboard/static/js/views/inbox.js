import { matchesFilter, normaliseAlert, patientText } from "../alert-view.js";
import { h, replace, select, table } from "../dom.js";
import { explanationText, formatTime, label, RULE_NAMES, ruleName, SEVERITIES, STATES, t } from "../i18n.js";
import { actionButtons } from "./alert-actions.js";

/**
 * The alert inbox: filters (institution, rule, severity, state, time), the alerts newest first with
 * their actions, more on demand, and alerts from the live stream put on top as they arrive.
 */
const filter = { site: "", rule: "", severity: "", state: "", from: "", to: "" };

function toIso(local) {
  if (local === "") return "";
  // datetime-local has no zone; supervisors read China Standard Time.
  return new Date(`${local}:00+08:00`).toISOString();
}

export async function renderInbox(context, container) {
  const { api } = context;
  const devices = await api.get("/devices").catch(() => ({ items: [] }));
  const sites = [...new Set((devices.items ?? []).map((d) => d.site))].sort();
  if (filter.site !== "" && !sites.includes(filter.site)) sites.push(filter.site);

  const rows = h("tbody", {});
  const liveStatus = h("p", { class: "live", "data-state": context.live.state() }, t(context.live.state() === "connected" ? "liveConnected" : "liveReconnecting"));
  const status = h("p", { role: "status" });
  const more = h("button", { type: "button", hidden: true }, t("loadMore"));
  const shown = new Map();
  // Alerts that arrived live stay marked new while the inbox is open, through later changes to them.
  const arrivedLive = new Set();
  let cursor = null;

  function rowOf(alert) {
    const isNew = arrivedLive.has(alert.id);
    const row = h(
      "tr",
      { "data-alert-id": alert.id, class: isNew ? "new-alert" : undefined },
      h("td", {}, formatTime(alert.raisedAt), isNew ? [" ", h("span", { class: "badge" }, t("newBadge"))] : null),
      h("td", {}, h("a", { href: `#/alerts/${encodeURIComponent(alert.id)}` }, ruleName(alert.rule))),
      h("td", { class: `sev-${alert.severity}` }, label("severity", alert.severity)),
      h("td", {}, alert.institution),
      h("td", {}, patientText(alert)),
      h("td", { "data-field": "state" }, label("state", alert.state)),
      h("td", {}, explanationText(alert.explanation) || alert.summary || ""),
      h(
        "td",
        {},
        actionButtons(context, alert, (updated, refused) => {
          if (refused !== null) {
            status.textContent = refused;
            return;
          }
          const replacement = rowOf({ ...alert, ...updated });
          row.replaceWith(replacement);
          shown.set(alert.id, replacement);
        }),
      ),
    );
    return row;
  }

  function add(alert, atTop) {
    const existing = shown.get(alert.id);
    const row = rowOf(alert);
    if (existing !== undefined) existing.replaceWith(row);
    else if (atTop) rows.prepend(row);
    else rows.append(row);
    shown.set(alert.id, row);
  }

  async function load(reset) {
    if (reset) {
      rows.replaceChildren();
      shown.clear();
      cursor = null;
    }
    const query = { site: filter.site, rule: filter.rule, severity: filter.severity, state: filter.state, from: toIso(filter.from), to: toIso(filter.to), limit: 50, cursor };
    const page = await api.get("/alerts", query);
    for (const raw of page.items ?? []) add(normaliseAlert(raw), false);
    cursor = page.nextCursor ?? null;
    more.hidden = cursor === null;
    status.textContent = shown.size === 0 ? t("noAlerts") : "";
  }

  const siteOptions = [["", t("any")], ...sites.map((s) => [s, s])];
  const ruleOptions = [["", t("any")], ...Object.keys(RULE_NAMES).map((r) => [r, ruleName(r)])];
  const severityOptions = [["", t("any")], ...SEVERITIES.map((s) => [s, label("severity", s)])];
  const stateOptions = [["", t("any")], ...STATES.map((s) => [s, label("state", s)])];
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": t("filters"),
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        for (const key of Object.keys(filter)) filter[key] = String(data.get(`filter-${key}`) ?? "");
        void load(true).catch((error) => (status.textContent = t("loadFailed", { message: error.message })));
      },
    },
    select("filter-site", t("filterInstitution"), siteOptions, filter.site),
    select("filter-rule", t("filterRule"), ruleOptions, filter.rule),
    select("filter-severity", t("filterSeverity"), severityOptions, filter.severity),
    select("filter-state", t("filterState"), stateOptions, filter.state),
    h("div", { class: "field" }, h("label", { for: "filter-from" }, t("filterFrom")), h("input", { type: "datetime-local", id: "filter-from", name: "filter-from", value: filter.from })),
    h("div", { class: "field" }, h("label", { for: "filter-to" }, t("filterTo")), h("input", { type: "datetime-local", id: "filter-to", name: "filter-to", value: filter.to })),
    h("button", { type: "submit", class: "primary" }, t("applyFilters")),
    h(
      "button",
      {
        type: "button",
        onclick: () => {
          for (const key of Object.keys(filter)) filter[key] = "";
          void renderInbox(context, container);
        },
      },
      t("resetFilters"),
    ),
  );
  more.addEventListener("click", () => void load(false));

  const unsubscribe = context.live.subscribe((message) => {
    if (message.type === "state") {
      liveStatus.dataset.state = message.state;
      liveStatus.textContent = t(message.state === "connected" ? "liveConnected" : "liveReconnecting");
      return;
    }
    const known = shown.has(message.alert.id);
    if (!known && !matchesFilter(message.alert, filter)) return;
    if (!known) arrivedLive.add(message.alert.id);
    add(message.alert, !known);
    status.textContent = "";
    if (!known) context.announce(t("newAlertAnnounce", { rule: ruleName(message.alert.rule), institution: message.alert.institution }));
  });
  context.signal.addEventListener("abort", unsubscribe);

  const headers = [t("colRaised"), t("colRule"), t("colSeverity"), t("colInstitution"), t("colPatient"), t("colState"), t("colExplanation"), t("colActions")];
  const alertsTable = table(t("inboxTitle"), headers, []);
  alertsTable.querySelector("tbody").replaceWith(rows);
  await load(true);
  replace(container, h("h1", {}, t("inboxTitle")), liveStatus, form, status, alertsTable, more);
}
