import { ApiFailure } from "../api.js";
import { actionsFor, normaliseAlert } from "../alert-view.js";
import { h } from "../dom.js";
import { label, t } from "../i18n.js";

const BUTTON_LABELS = { acknowledge: "actionAcknowledge", confirm: "actionConfirm", dismiss: "actionDismiss", close: "actionClose" };

/**
 * The buttons for the actions an alert's state allows. Acknowledge goes at once; confirm, dismiss and
 * close open a dialog for a reason (required to dismiss) and a note, which land in the audit log.
 */
export function actionButtons(context, alert, onChanged) {
  return h(
    "div",
    { class: "row-actions", role: "group", "aria-label": t("colActions") },
    actionsFor(alert).map((action) =>
      h(
        "button",
        {
          type: "button",
          "data-action": action,
          onclick: () => (action === "acknowledge" ? perform(context, alert, action, {}, onChanged) : openDialog(context, alert, action, onChanged)),
        },
        t(BUTTON_LABELS[action] ?? action),
      ),
    ),
  );
}

async function perform(context, alert, action, fields, onChanged) {
  try {
    const body = { action };
    if (fields.reason) body.reason = fields.reason;
    if (fields.note) body.note = fields.note;
    const result = await context.api.post(`/alerts/${encodeURIComponent(alert.id)}/actions`, body);
    const updated = normaliseAlert(result?.alert ?? result ?? alert);
    context.announce(t("actionDone", { action: label("action", action) }));
    onChanged(updated.id === "" ? { ...alert, state: alert.state } : updated, null);
    return null;
  } catch (failure) {
    if (failure instanceof ApiFailure && failure.status === 401) return context.onUnauthenticated();
    const allowed = failure instanceof ApiFailure ? (failure.body?.allowedActions ?? failure.body?.allowed ?? null) : null;
    let message = t("actionRefused", { message: failure.message });
    if (Array.isArray(allowed)) message += ` ${t("allowedNow", { actions: allowed.map((a) => label("action", a)).join(", ") || "—" })}`;
    context.announce(message);
    onChanged(null, message);
    return message;
  }
}

function openDialog(context, alert, action, onChanged) {
  const reasonId = `reason-${action}`;
  const noteId = `note-${action}`;
  const reason = h("input", { id: reasonId, name: "reason", maxlength: 200, required: action === "dismiss" ? true : undefined });
  const note = h("textarea", { id: noteId, name: "note", rows: 3, maxlength: 2000, required: action === "dismiss" ? true : undefined });
  const error = h("p", { class: "message error", role: "alert", hidden: true });
  const dialog = h(
    "dialog",
    { "aria-labelledby": `dialog-title-${action}` },
    h(
      "form",
      {
        method: "dialog",
        onsubmit: async (event) => {
          event.preventDefault();
          // The gateway refuses a dismissal without both: the verdict feeds the rule's precision.
          if (action === "dismiss" && (reason.value.trim() === "" || note.value.trim() === "")) {
            error.hidden = false;
            error.textContent = t("reasonRequired");
            reason.focus();
            return;
          }
          const refused = await perform(context, alert, action, { reason: reason.value.trim(), note: note.value.trim() }, onChanged);
          if (refused) {
            error.hidden = false;
            error.textContent = refused;
            return;
          }
          dialog.close();
          dialog.remove();
        },
      },
      h("h2", { id: `dialog-title-${action}` }, t(BUTTON_LABELS[action] ?? action)),
      h("div", { class: "field" }, h("label", { for: reasonId }, t("reason")), reason),
      h("div", { class: "field" }, h("label", { for: noteId }, t("note")), note),
      error,
      h(
        "div",
        { class: "row-actions" },
        h("button", { type: "submit", class: "primary" }, t("submit")),
        h(
          "button",
          {
            type: "button",
            onclick: () => {
              dialog.close();
              dialog.remove();
            },
          },
          t("cancel"),
        ),
      ),
    ),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  reason.focus();
}
