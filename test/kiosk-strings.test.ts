import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { QUALITY_REJECTIONS } from "../device/face/quality-gates.js";
import { redactIdNumbers, redactScreen } from "../device/kiosk/kiosk-redaction.js";
import { defaultKioskStaticDir, startKioskServer, type RunningKiosk } from "../device/kiosk/kiosk-server.js";
import type { KioskTouch } from "../device/kiosk/kiosk-touch.js";
import { ATTESTATION_REASONS, EVENT_KINDS, OUTCOMES } from "../protocol/index.js";

/**
 * The kiosk's string tables and server without a browser: both languages say everything the flows
 * can show (every screen variant, every quality-gate prompt, outcome and attestation reason), raw
 * ID numbers are masked on the way to the screen, and touches are validated before the agent sees them.
 */
type Table = Record<string, unknown>;
const strings = JSON.parse(readFileSync(`${defaultKioskStaticDir()}/strings.json`, "utf8")) as Record<"zh-CN" | "en", Table>;

function keyPaths(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object") return [prefix];
  return Object.entries(value as Table).flatMap(([key, inner]) => keyPaths(inner, prefix === "" ? key : `${prefix}/${key}`));
}

function at(table: Table, path: string): unknown {
  return path.split("/").reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Table)[key] : undefined), table);
}

const REQUIRED = [
  ...QUALITY_REJECTIONS.map((r) => `quality/${r}`),
  ...OUTCOMES.map((o) => `outcomes/${o}`),
  "outcomes/not_recorded",
  ...EVENT_KINDS.map((k) => `kinds/${k}`),
  ...ATTESTATION_REASONS.map((r) => `reasons/${r}`),
  ...["already_recorded", "face_not_checked", "session_closed", "not_recorded", "staff_check_required"].map((m) => `messages/${m}`),
  "screens/idle/dialysis_station",
  "screens/idle/ward_round",
  "screens/place_card",
  "screens/reading_card",
  ...["unreadable", "invalid_card", "reader_offline"].map((p) => `screens/card_problem/${p}`),
  "screens/look_at_camera",
  "screens/coaching",
  ...["blink", "turn_left", "turn_right"].map((c) => `screens/challenge/${c}`),
  "screens/pick_bed",
  "screens/nurse_card/enrolment",
  "screens/nurse_card/attestation",
  ...["patient_card", "capturing", "done", "failed"].map((s) => `screens/enrolment/${s}`),
  "screens/attestation/choose_reason",
  "screens/attestation/done",
  "screens/camera_problem",
];

describe("kiosk string tables", () => {
  it("have the same keys in Simplified Chinese and English, none empty", () => {
    expect(keyPaths(strings.en).sort()).toEqual(keyPaths(strings["zh-CN"]).sort());
    for (const language of ["zh-CN", "en"] as const) {
      for (const path of keyPaths(strings[language])) expect(at(strings[language], path), `${language} ${path}`).toMatch(/\S/);
    }
  });

  it("translate every screen variant, every quality-gate prompt, outcome and attestation reason", () => {
    for (const language of ["zh-CN", "en"] as const) {
      const missing = REQUIRED.filter((path) => typeof at(strings[language], path) !== "string");
      expect(missing, language).toEqual([]);
    }
    expect(at(strings["zh-CN"], "quality/too_dark")).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe("kiosk redaction", () => {
  it("masks resident ID, 15-digit and foreign-resident number shapes anywhere in a screen, and leaves masked forms alone", () => {
    expect(redactIdNumbers("card 11010519491231002X read")).toBe("card 1101**********002X read");
    expect(redactIdNumbers("110105491231002")).toBe("1101*******1002");
    expect(redactIdNumbers("USA310012345678")).toBe("USA3*******5678");
    expect(redactIdNumbers("1101**********002X")).toBe("1101**********002X");
    const screen = redactScreen({ screen: "look_at_camera", person: { maskedName: "张*三", maskedId: "11010519491231002X" } });
    expect(screen).toEqual({ screen: "look_at_camera", person: { maskedName: "张*三", maskedId: "1101**********002X" } });
  });
});

describe("kiosk server", () => {
  let kiosk: RunningKiosk | undefined;
  afterEach(async () => {
    await kiosk?.close();
    kiosk = undefined;
  });

  async function post(path: string, body: unknown): Promise<Response> {
    if (kiosk === undefined) throw new Error("no kiosk");
    return fetch(new URL(path, kiosk.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  }

  it("passes a valid touch to the agent, refuses a malformed one with the schema's words, and keeps the language", async () => {
    const touches: KioskTouch[] = [];
    kiosk = await startKioskServer({ port: 0, mode: "ward_round", onTouch: (t) => touches.push(t) });
    expect((await post("api/touch", { action: "choose_reason", reason: "bandage" })).status).toBe(202);
    const bad = await post("api/touch", { action: "choose_reason", reason: "tired" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("reason");
    expect((await post("api/touch", { action: "launch_missiles" })).status).toBe(400);
    expect((await post("api/touch", { action: "cancel", extra: 1 })).status).toBe(400);
    expect(touches).toEqual([{ action: "choose_reason", reason: "bandage" }]);
    expect((await post("api/language", { language: "en" })).status).toBe(204);
    expect((await post("api/language", { language: "fr" })).status).toBe(400);
    expect(kiosk.state()).toMatchObject({ language: "en", mode: "ward_round", screen: { screen: "idle", mode: "ward_round" } });
  });

  it("remembers the picked bed while the round waits for that bed's patient, and forgets it on the next bed list", async () => {
    kiosk = await startKioskServer({ port: 0, mode: "ward_round", onTouch: () => undefined });
    await post("api/touch", { action: "pick_bed", ward: "5B", bed: "12" });
    kiosk.show({ screen: "place_card" });
    expect(kiosk.state().bed).toEqual({ ward: "5B", bed: "12" });
    kiosk.show({ screen: "pick_bed", ward: "5B", beds: [] });
    expect(kiosk.state().bed).toBeNull();
  });
});
