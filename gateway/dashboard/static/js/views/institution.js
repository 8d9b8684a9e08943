import { normaliseAlert } from "../alert-view.js";
import { h, replace, select, table } from "../dom.js";
import { formatPercent, ruleName, t } from "../i18n.js";
import { barChart, shareLineChart } from "../svg-chart.js";
import { confirmedCasesSection } from "./confirmed-cases.js";

/**
 * One institution: the weekly share of billed sessions that had a verified person behind them (a
 * line chart and the same figures as a table), alerts by rule, boxes online, each rule's
 * precision over reviewed alerts, and the record of confirmed cases.
 */
function weeksOf(coverage) {
  const weeks = coverage?.weeks ?? coverage?.items ?? (Array.isArray(coverage) ? coverage : []);
  return weeks.map((week) => {
    const billed = Number(week.billed ?? week.billedSessions ?? 0);
    const verified = Number(week.verified ?? week.verifiedSessions ?? 0);
    const share = typeof week.share === "number" ? week.share : typeof week.verifiedShare === "number" ? week.verifiedShare : billed > 0 ? verified / billed : null;
    return { week: String(week.week ?? week.weekStart ?? week.from ?? ""), billed, verified, share };
  });
}

function precisionRows(precision) {
  const items = precision?.items ?? precision?.rules ?? (Array.isArray(precision) ? precision : []);
  return items.map((item) => {
    const confirmed = Number(item.confirmed ?? 0);
    const dismissed = Number(item.dismissed ?? 0);
    const reviewed = Number(item.reviewed ?? confirmed + dismissed);
    const value = typeof item.precision === "number" ? item.precision : reviewed > 0 ? confirmed / reviewed : null;
    return { rule: String(item.rule ?? item.ruleId ?? ""), confirmed, dismissed, reviewed, precision: value };
  });
}

export async function renderInstitution(context, container, requestedSite) {
  const { api } = context;
  const devices = (await api.get("/devices")).items ?? [];
  const sites = [...new Set(devices.map((d) => d.site))].sort();
  const site = requestedSite ?? sites[0] ?? null;
  const chooser = h(
    "form",
    {
      class: "filters",
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = `#/institutions/${encodeURIComponent(new FormData(event.currentTarget).get("institution-site"))}`;
      },
    },
    select("institution-site", t("chooseInstitution"), sites.map((s) => [s, s]), site),
    h("button", { type: "submit", class: "primary" }, t("applyFilters")),
  );
  if (site === null) {
    replace(container, h("h1", {}, t("institutionsTitle")), chooser, h("p", {}, t("coverageNone")));
    return;
  }
  const enc = encodeURIComponent(site);
  const [coverage, alertsPage, precision, confirmed] = await Promise.all([
    api.get(`/institutions/${enc}/coverage`).catch((error) => ({ error })),
    api.get("/alerts", { site, limit: 1000 }).catch((error) => ({ error })),
    api.get("/rules/precision", { site }).catch((error) => ({ error })),
    api.get(`/institutions/${enc}/confirmed-cases`).catch((error) => ({ error })),
  ]);

  const siteBoxes = devices.filter((d) => d.site === site);
  const boxes = coverage.error || coverage.boxes === undefined
    ? { total: siteBoxes.length, online: siteBoxes.filter((d) => d.state === "online").length, offline: siteBoxes.filter((d) => d.state === "offline").length }
    : coverage.boxes;
  const online = boxes.online;
  const unknownBoxes = boxes.total - boxes.online - boxes.offline;

  const sections = [];
  const weeks = coverage.error ? [] : weeksOf(coverage);
  const coverageSection = [h("h2", { id: "coverage-title" }, t("coverageTitle"))];
  if (coverage.error) coverageSection.push(h("p", { class: "message error" }, t("loadFailed", { message: coverage.error.message })));
  else if (weeks.length === 0) coverageSection.push(h("p", {}, t("coverageNone")));
  else {
    coverageSection.push(
      shareLineChart({ labels: weeks.map((w) => w.week), shares: weeks.map((w) => w.share), title: t("coverageChartLabel", { n: weeks.length }), describe: formatPercent }),
      table(
        t("coverageTitle"),
        [t("week"), t("billedSessions"), t("verifiedSessions"), t("verifiedShare")],
        weeks.map((w) => h("tr", {}, h("td", {}, w.week), h("td", {}, String(w.billed)), h("td", {}, String(w.verified)), h("td", {}, formatPercent(w.share)))),
      ),
    );
  }
  sections.push(h("section", { "aria-labelledby": "coverage-title" }, coverageSection));

  // Alerts by rule over the coverage weeks when the gateway counts them, else from the latest alerts.
  const byRule = new Map();
  const counted = coverage.error ? [] : (coverage.weeks ?? []).filter((w) => w.alertsByRule !== null && typeof w.alertsByRule === "object");
  if (counted.length > 0) {
    for (const week of counted) for (const [rule, n] of Object.entries(week.alertsByRule)) byRule.set(rule, (byRule.get(rule) ?? 0) + Number(n));
  } else {
    for (const raw of alertsPage.error ? [] : (alertsPage.items ?? [])) {
      const alert = normaliseAlert(raw);
      byRule.set(alert.rule, (byRule.get(alert.rule) ?? 0) + 1);
    }
  }
  const ruleEntries = [...byRule.entries()].sort((a, b) => b[1] - a[1]).map(([rule, count]) => ({ label: ruleName(rule), count }));
  sections.push(
    h(
      "section",
      { "aria-labelledby": "rules-title" },
      h("h2", { id: "rules-title" }, t("alertsByRule")),
      ruleEntries.length === 0 ? h("p", {}, t("noAlerts")) : [barChart({ entries: ruleEntries, title: t("alertsByRule") }), table(t("alertsByRule"), [t("colRule"), "#"], ruleEntries.map((e) => h("tr", {}, h("td", {}, e.label), h("td", {}, String(e.count)))))],
    ),
  );

  sections.push(
    h(
      "section",
      { "aria-labelledby": "boxes-title" },
      h("h2", { id: "boxes-title" }, t("boxesOnline")),
      h("p", { "data-field": "boxes-online" }, t("boxesOnlineValue", { online, total: boxes.total })),
      barChart({ entries: [{ label: t("online"), count: online }, { label: t("offline"), count: boxes.offline, className: "bar-critical" }, { label: t("unknown"), count: unknownBoxes }], title: t("boxesOnline") }),
    ),
  );

  const precisionItems = precision.error ? [] : precisionRows(precision);
  sections.push(
    h(
      "section",
      { "aria-labelledby": "precision-title" },
      h("h2", { id: "precision-title" }, t("precisionTitle")),
      precision.error
        ? h("p", { class: "message error" }, t("loadFailed", { message: precision.error.message }))
        : table(
            t("precisionTitle"),
            [t("colRule"), t("reviewed"), t("confirmed"), t("dismissed"), t("precision")],
            precisionItems.map((p) => h("tr", {}, h("td", {}, ruleName(p.rule)), h("td", {}, String(p.reviewed)), h("td", {}, String(p.confirmed)), h("td", {}, String(p.dismissed)), h("td", {}, formatPercent(p.precision)))),
          ),
    ),
  );

  sections.push(confirmedCasesSection(context, site, confirmed));

  replace(container, h("h1", {}, `${t("institutionsTitle")}: ${site}`), chooser, sections);
}
