import { h, replace, table } from "../dom.js";
import { formatTime, label, t } from "../i18n.js";

/**
 * Every box the token may see: institution, role, location, online or offline since when, the last
 * time it was heard from, and its outbox backlog (events waiting to reach the gateway) from its last
 * status message's health block.
 */
function lastStatusOf(device) {
  if (typeof device.lastStatus === "string") {
    try {
      return JSON.parse(device.lastStatus);
    } catch {
      return null;
    }
  }
  return device.lastStatus ?? null;
}

export function fleetRow(device) {
  // GET /devices does not carry the box's health yet; read it wherever it appears.
  const health = device.health ?? device.lastHealth ?? lastStatusOf(device)?.health ?? null;
  const backlog = device.outboxDepth ?? health?.outboxDepth ?? null;
  const oldest = device.oldestPendingAt ?? health?.oldestPendingAt ?? null;
  const lastSeen = device.lastSeenAt ?? device.lastSeen ?? device.stateChangedAt ?? null;
  return {
    box: String(device.box ?? ""),
    site: String(device.site ?? ""),
    role: device.role ?? null,
    location: device.location ?? null,
    state: device.state ?? null,
    since: device.stateChangedAt ?? null,
    lastSeen,
    backlog: typeof backlog === "number" ? backlog : null,
    oldestPendingAt: oldest,
    enabled: device.enabled !== false,
  };
}

export async function renderFleet(context, container) {
  const page = await context.api.get("/devices");
  const rows = (page.items ?? []).map(fleetRow).sort((a, b) => a.site.localeCompare(b.site) || a.box.localeCompare(b.box));
  const online = rows.filter((r) => r.state === "online").length;
  replace(
    container,
    h("h1", {}, t("fleetTitle")),
    h("p", {}, t("boxesOnlineValue", { online, total: rows.length })),
    table(
      t("fleetTitle"),
      [t("colBox"), t("colInstitution"), t("colRole"), t("colLocation"), t("colStatus"), t("colLastSeen"), t("colBacklog"), t("colEnabled")],
      rows.map((r) =>
        h(
          "tr",
          { "data-box": r.box },
          h("th", { scope: "row", class: "mono" }, r.box),
          h("td", {}, h("a", { href: `#/institutions/${encodeURIComponent(r.site)}` }, r.site)),
          h("td", {}, label("role", r.role)),
          h("td", {}, r.location ?? "—"),
          h("td", { class: r.state === null ? undefined : `state-${r.state}` }, r.state === null ? t("unknown") : t(r.state)),
          h("td", {}, formatTime(r.lastSeen)),
          h("td", {}, r.backlog === null ? t("unknown") : String(r.backlog), r.oldestPendingAt ? ` (${formatTime(r.oldestPendingAt)})` : ""),
          h("td", {}, r.enabled ? t("yes") : t("no")),
        ),
      ),
    ),
  );
}
