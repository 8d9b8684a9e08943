// The kiosk page: follows the box's screen over server-sent events and posts touches back.
import { describeScreen } from "./kiosk-render.js";

const strings = await (await fetch("strings.json")).json();
const $ = (id) => document.getElementById(id);
let state = null;

async function post(path, body) {
  try {
    await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch {
    // The stream's error handler shows the lost connection; a touch is simply tried again by the person.
  }
}

function render() {
  if (state === null) return;
  const t = strings[state.language] ?? strings["zh-CN"];
  document.documentElement.lang = state.language;
  $("label").textContent = state.label;
  const language = $("language");
  language.textContent = t.ui.switchLanguage;
  language.setAttribute("aria-label", t.ui.switchLanguageLabel);
  $("offline").textContent = t.ui.connectionLost;
  const view = describeScreen(state, t, (touch) => post("api/touch", touch));
  const main = $("screen");
  main.dataset.screen = state.screen.screen;
  main.dataset.seq = String(state.seq);
  main.className = `screen${view.tone ? ` outcome-${view.tone}` : ""}`;
  $("prompt").textContent = view.prompt;
  $("detail").replaceChildren(...view.detail);
  $("actions").replaceChildren(...view.actions);
}

$("language").addEventListener("click", () => {
  if (state !== null) void post("api/language", { language: state.language === "zh-CN" ? "en" : "zh-CN" });
});

const stream = new EventSource("api/stream");
stream.addEventListener("state", (message) => {
  state = JSON.parse(message.data);
  $("offline").hidden = true;
  render();
});
stream.addEventListener("error", () => {
  $("offline").hidden = false;
});
