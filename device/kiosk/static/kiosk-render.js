// Renders one kiosk state (see kiosk-server.ts KioskState) into the page, with the string table of
// its language. Text only through textContent: nothing a screen carries is ever parsed as markup.

/** `{name}` placeholders filled from `values`. */
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(text, onPress, extra) {
  const node = element("button", extra && extra.className, text);
  node.type = "button";
  if (extra && extra.action) node.dataset.action = extra.action;
  if (extra && extra.label) node.setAttribute("aria-label", extra.label);
  node.addEventListener("click", onPress);
  return node;
}

function personLines(t, person) {
  if (!person) return [];
  return [element("div", "person", `${t.ui.patient} ${person.maskedName}\u3000${t.ui.idNumber} ${person.maskedId}`)];
}

const GOOD_OUTCOMES = new Set(["verified", "attested", "absent", "card_only"]);

/**
 * What a screen shows: { prompt, detail: Node[], actions: Node[], tone }. `touch(body)` posts a
 * touch to the box.
 */
export function describeScreen(state, t, touch) {
  const s = state.screen;
  const cancel = () => button(t.ui.cancel, () => touch({ action: "cancel" }), { action: "cancel" });
  switch (s.screen) {
    case "idle": {
      const actions = [];
      if (s.mode === "ward_round") {
        for (const role of ["doctor", "nurse", "inspector"]) actions.push(button(t.ui.roles[role], () => touch({ action: "start_round", role }), { action: `start_round:${role}` }));
      }
      actions.push(button(t.ui.enrol, () => touch({ action: "start_enrolment" }), { action: "start_enrolment" }));
      if (s.mode === "dialysis_station") actions.push(button(t.ui.attest, () => touch({ action: "start_attestation" }), { action: "start_attestation" }));
      return { prompt: t.screens.idle[s.mode], detail: [element("div", "hint", t.screens.idleHint[s.mode])], actions };
    }
    case "place_card": {
      if (state.bed) {
        return {
          prompt: fill(t.screens.place_card_bed, { bed: state.bed.bed }),
          detail: [element("div", "hint", `${t.ui.ward} ${state.bed.ward}\u3000${t.ui.bed} ${state.bed.bed}`)],
          actions: [
            button(t.ui.patientAbsent, () => touch({ action: "patient_absent" }), { action: "patient_absent" }),
            button(t.ui.attest, () => touch({ action: "start_attestation" }), { action: "start_attestation" }),
            cancel(),
          ],
        };
      }
      return { prompt: t.screens.place_card, detail: [], actions: [cancel()] };
    }
    case "reading_card":
      return { prompt: t.screens.reading_card, detail: [], actions: [] };
    case "card_problem":
      return { prompt: t.screens.card_problem[s.problem], detail: [], actions: [], tone: "bad" };
    case "look_at_camera":
      return { prompt: t.screens.look_at_camera, detail: personLines(t, s.person), actions: [] };
    case "coaching":
      return { prompt: t.quality[s.prompt] ?? t.screens.coaching, detail: personLines(t, s.person), actions: [] };
    case "challenge":
      return { prompt: t.screens.challenge[s.challenge], detail: personLines(t, s.person), actions: [] };
    case "result": {
      const detail = [...personLines(t, s.person)];
      if (t.kinds[s.kind]) detail.push(element("div", "kind", t.kinds[s.kind]));
      if (s.failedPart) detail.push(element("div", "failed-part", t.failedPart[s.failedPart]));
      if (s.message && t.messages[s.message]) detail.push(element("div", "message", t.messages[s.message]));
      return { prompt: t.outcomes[s.outcome] ?? t.screens.result, detail, actions: [], tone: GOOD_OUTCOMES.has(s.outcome) ? "good" : "bad" };
    }
    case "pick_bed": {
      const grid = element("div", "beds");
      for (const entry of s.beds) {
        const b = button("", () => touch({ action: "pick_bed", ward: s.ward, bed: entry.bed }), { action: `pick_bed:${entry.bed}`, label: `${t.ui.bed} ${entry.bed}` });
        b.append(element("span", "bed", `${t.ui.bed} ${entry.bed}`), element("span", "occupant", entry.person ? entry.person.maskedId : t.ui.emptyBed));
        grid.append(b);
      }
      return {
        prompt: t.screens.pick_bed,
        detail: [element("div", "hint", `${t.ui.ward} ${s.ward}`), grid],
        actions: [button(t.ui.endRound, () => touch({ action: "end_round" }), { action: "end_round" })],
      };
    }
    case "nurse_card":
      return { prompt: t.screens.nurse_card[s.purpose], detail: [], actions: [cancel()] };
    case "enrolment": {
      const detail = [...personLines(t, s.person)];
      if (s.step === "capturing" || s.step === "done" || s.step === "failed") detail.push(element("div", "progress", fill(t.ui.progress, { good: s.goodFrames, needed: s.framesNeeded })));
      if (s.problem) detail.push(element("div", "message", t.enrolmentProblems[s.problem] ?? t.quality[s.problem] ?? t.enrolmentProblems.capture_failed));
      const actions = s.step === "patient_card" ? [cancel()] : [];
      return { prompt: t.screens.enrolment[s.step], detail, actions, tone: s.step === "done" ? "good" : s.step === "failed" ? "bad" : undefined };
    }
    case "attestation": {
      if (s.step === "done") return { prompt: t.screens.attestation.done, detail: personLines(t, s.person), actions: [], tone: "good" };
      const grid = element("div", "reasons");
      for (const [reason, words] of Object.entries(t.reasons)) grid.append(button(words, () => touch({ action: "choose_reason", reason }), { action: `reason:${reason}` }));
      return { prompt: t.screens.attestation.choose_reason, detail: [...personLines(t, s.person), grid], actions: [cancel()] };
    }
    case "camera_problem":
      return { prompt: t.screens.camera_problem, detail: [], actions: [], tone: "bad" };
    default:
      return { prompt: "…", detail: [], actions: [] };
  }
}
