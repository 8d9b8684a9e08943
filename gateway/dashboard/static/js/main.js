import { ApiFailure, createApi } from "./api.js";
import { normaliseAlert } from "./alert-view.js";
import { h, replace } from "./dom.js";
import { language, LANGUAGES, ruleName, setLanguage, t } from "./i18n.js";
import { renderAlertDetail } from "./views/alert-detail.js";
import { renderAudit } from "./views/audit.js";
import { renderFleet } from "./views/fleet.js";
import { renderInbox } from "./views/inbox.js";
import { renderInstitution } from "./views/institution.js";

/**
 * The dashboard's shell: login with a token (kept in sessionStorage, so it dies with the tab), a
 * hash router (#/alerts, #/alerts/{id}, #/institutions/{site}, #/fleet, #/audit), the language
 * switch, and one live alert stream shared by the views.
 */
const TOKEN_KEY = "carewitness.dashboard.token";
const LANGUAGE_KEY = "carewitness.dashboard.language";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const logoutButton = document.getElementById("logout");
const languageButton = document.getElementById("language");
const announcer = document.getElementById("announcer");

let api = null;
let streamAbort = null;
const liveListeners = new Set();
let liveState = "reconnecting";
let viewAbort = null;

function announce(text) {
  announcer.textContent = "";
  // A fresh text node makes screen readers speak even when the same words repeat.
  setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

const live = {
  state: () => liveState,
  subscribe(listener) {
    liveListeners.add(listener);
    return () => liveListeners.delete(listener);
  },
};

function startLiveStream() {
  streamAbort?.abort();
  streamAbort = new AbortController();
  void api.followAlerts(
    (raw) => {
      const alert = normaliseAlert(raw);
      for (const listener of liveListeners) listener({ type: "alert", alert });
      if (!location.hash.startsWith("#/alerts") || location.hash.length > "#/alerts".length + 1) {
        announce(t("newAlertAnnounce", { rule: ruleName(alert.rule), institution: alert.institution }));
      }
    },
    (state) => {
      if (state === "unauthenticated") return logout();
      liveState = state;
      for (const listener of liveListeners) listener({ type: "state", state });
    },
    streamAbort.signal,
  );
}

function applyLanguage() {
  document.documentElement.lang = language() === "zh" ? "zh-CN" : "en";
  document.title = t("appTitle");
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  nav.setAttribute("aria-label", language() === "zh" ? "主导航" : "Main");
  languageButton.textContent = t("switchLanguage");
  languageButton.lang = language() === "zh" ? "en" : "zh-CN";
  languageButton.setAttribute("aria-label", t("switchLanguageLabel"));
}

function showLogin(message) {
  nav.hidden = true;
  logoutButton.hidden = true;
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const error = h("p", { id: "login-error", class: "message error", role: "alert", hidden: message === undefined ? true : undefined }, message ?? "");
  const form = h(
    "form",
    {
      "aria-describedby": "login-help",
      onsubmit: async (event) => {
        event.preventDefault();
        const candidate = createApi(input.value.trim());
        try {
          await candidate.get("/devices");
        } catch (failure) {
          error.hidden = false;
          error.textContent = failure instanceof ApiFailure && failure.status === 401 ? t("loginFailed") : t("loadFailed", { message: failure.message });
          input.focus();
          return;
        }
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        login(candidate);
      },
    },
    h("div", { class: "field" }, h("label", { for: "token" }, t("tokenLabel")), input),
    h("button", { type: "submit", class: "primary" }, t("loginButton")),
    error,
  );
  replace(main, h("section", { class: "login" }, h("h1", {}, t("loginTitle")), h("p", { id: "login-help" }, t("loginHelp")), form));
  input.focus();
}

function login(client) {
  api = client;
  nav.hidden = false;
  logoutButton.hidden = false;
  startLiveStream();
  if (location.hash === "" || location.hash === "#/" || location.hash === "#/login") location.hash = "#/alerts";
  else void route();
}

function logout() {
  streamAbort?.abort();
  viewAbort?.abort();
  api = null;
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = "#/login";
  showLogin();
}

async function route() {
  if (api === null) return showLogin();
  viewAbort?.abort();
  viewAbort = new AbortController();
  const [, section = "alerts", param] = location.hash.split("/");
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === `#/${section}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const context = { api, live, announce, signal: viewAbort.signal, onUnauthenticated: logout };
  replace(main, h("p", {}, t("loading")));
  try {
    if (section === "alerts" && param) await renderAlertDetail(context, main, decodeURIComponent(param));
    else if (section === "alerts") await renderInbox(context, main);
    else if (section === "institutions") await renderInstitution(context, main, param ? decodeURIComponent(param) : null);
    else if (section === "fleet") await renderFleet(context, main);
    else if (section === "audit") await renderAudit(context, main);
    else location.hash = "#/alerts";
  } catch (failure) {
    if (failure instanceof ApiFailure && failure.status === 401) return logout();
    replace(main, h("p", { class: "message error", role: "alert" }, t("loadFailed", { message: failure.message })));
  }
  main.focus({ preventScroll: true });
}

languageButton.addEventListener("click", () => {
  const next = LANGUAGES.find((lang) => lang !== language());
  setLanguage(next);
  localStorage.setItem(LANGUAGE_KEY, next);
  applyLanguage();
  if (api === null) showLogin();
  else void route();
});
logoutButton.addEventListener("click", logout);
window.addEventListener("hashchange", () => void route());

setLanguage(localStorage.getItem(LANGUAGE_KEY) ?? "zh");
applyLanguage();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved === null) showLogin();
else login(createApi(saved));
