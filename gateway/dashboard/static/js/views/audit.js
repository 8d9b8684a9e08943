import { h, replace, table } from "../dom.js";
import { formatTime, t } from "../i18n.js";

/** The append-only audit log, newest first, paged: who did what to which alert, import or setting. */
function detailText(entry) {
  const detail = entry.detail ?? entry.data ?? entry.payload ?? null;
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") {
    // The store keeps the detail as canonical JSON text; shown as "key: value" pairs when it is.
    if (!detail.startsWith("{")) return detail;
    try {
      return detailText({ detail: JSON.parse(detail) });
    } catch {
      return detail;
    }
  }
  return Object.entries(detail)
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
    .join("; ");
}

function subjectText(entry) {
  const subject = entry.subject ?? entry.target ?? entry.alertId ?? entry.entity ?? null;
  if (subject === null) return "";
  if (typeof subject === "string") return subject;
  return [subject.type ?? subject.kind, subject.id].filter(Boolean).join(" ");
}

export async function renderAudit(context, container) {
  const rows = h("tbody", {});
  const more = h("button", { type: "button", hidden: true }, t("loadMore"));
  const status = h("p", { role: "status" });
  let cursor = null;

  async function load() {
    const page = await context.api.get("/audit", { limit: 100, cursor });
    const items = page.items ?? page.entries ?? [];
    for (const entry of items) {
      rows.append(
        h(
          "tr",
          { "data-action": String(entry.action ?? entry.type ?? "") },
          h("td", {}, formatTime(entry.at ?? entry.recordedAt)),
          h("td", {}, String(entry.actor ?? entry.by ?? "—")),
          h("td", {}, String(entry.action ?? entry.type ?? "")),
          h("td", { class: "mono" }, subjectText(entry)),
          h("td", {}, detailText(entry)),
        ),
      );
    }
    cursor = page.nextCursor ?? null;
    more.hidden = cursor === null;
    status.textContent = rows.childElementCount === 0 ? t("noAudit") : "";
  }
  more.addEventListener("click", () => void load());

  const auditTable = table(t("auditTitle"), [t("colAt"), t("colActor"), t("colAction"), t("colSubject"), t("colDetail")], []);
  auditTable.querySelector("tbody").replaceWith(rows);
  await load();
  replace(container, h("h1", {}, t("auditTitle")), status, auditTable, more);
}
