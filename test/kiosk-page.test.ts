import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startKioskServer, type RunningKiosk } from "../device/kiosk/kiosk-server.js";
import type { KioskTouch } from "../device/kiosk/kiosk-touch.js";
import type { KioskScreen } from "../device/ports.js";

/**
 * The kiosk page in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * it follows the screens the agent pushes through the sink, switches language, posts the nurse's
 * attestation reason and the round's bed and "patient absent", never shows a raw ID number, and
 * keeps every touch target at least 48 px on an 800x480 and a 1280x800 screen.
 */
const CHROMIUM = process.env.CAREWITNESS_TEST_CHROMIUM ?? "/usr/bin/chromium";
const RAW_ID = "11010519491231002X";
const person = { maskedName: "张*三", maskedId: "1101**********002X" };
/** 18-character ID number shapes (17 digits and a check character) and 15-digit ones. */
const ID_PATTERN = /(?<![0-9])(?:\d{17}[\dXx]|\d{15})(?![0-9])/;

const EVERY_SCREEN: KioskScreen[] = [
  { screen: "idle", mode: "dialysis_station" },
  { screen: "idle", mode: "ward_round" },
  { screen: "place_card" },
  { screen: "reading_card" },
  { screen: "card_problem", problem: "unreadable" },
  { screen: "card_problem", problem: "invalid_card" },
  { screen: "card_problem", problem: "reader_offline" },
  { screen: "look_at_camera", person },
  { screen: "coaching", person, prompt: "too_far" },
  { screen: "coaching", person, prompt: "too_dark" },
  { screen: "challenge", person, challenge: "blink" },
  { screen: "challenge", person, challenge: "turn_left" },
  { screen: "result", person, outcome: "verified", kind: "dialysis.check_in", failedPart: null },
  { screen: "result", person, outcome: "face_mismatch", kind: "dialysis.check_in", failedPart: "face" },
  { screen: "result", person, outcome: "card_only", kind: "dialysis.check_out", failedPart: null, message: "face_not_checked" },
  { screen: "result", person: null, outcome: "card_unreadable", kind: "dialysis.check_in", failedPart: "card" },
  { screen: "pick_bed", ward: "5B", beds: Array.from({ length: 12 }, (_, i) => ({ bed: String(i + 1), person: i % 3 === 0 ? null : { maskedName: "*", maskedId: "3201**********12X4".replace("X", String(i % 10)) } })) },
  { screen: "nurse_card", purpose: "enrolment" },
  { screen: "nurse_card", purpose: "attestation" },
  { screen: "enrolment", person: null, step: "patient_card", goodFrames: 0, framesNeeded: 3 },
  { screen: "enrolment", person, step: "capturing", goodFrames: 1, framesNeeded: 3 },
  { screen: "enrolment", person, step: "failed", goodFrames: 1, framesNeeded: 3, problem: "too_dark" },
  { screen: "attestation", person, step: "choose_reason" },
  { screen: "attestation", person, step: "done" },
  { screen: "camera_problem" },
  // A flow bug that leaked a raw number into the masked field: the kiosk must still not show it.
  { screen: "look_at_camera", person: { maskedName: "李*", maskedId: RAW_ID } },
];

let browser: Browser;
let kiosk: RunningKiosk | undefined;
const touches: KioskTouch[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}, 60_000);

afterAll(async () => {
  await browser.close();
});

afterEach(async () => {
  await kiosk?.close();
  kiosk = undefined;
  touches.length = 0;
  expect(pageErrors.splice(0)).toEqual([]);
});

async function open(mode: "dialysis_station" | "ward_round", viewport = { width: 800, height: 480 }): Promise<{ page: Page; kiosk: RunningKiosk }> {
  kiosk = await startKioskServer({ port: 0, mode, label: mode === "ward_round" ? "5B 病区" : "透析 3 号位", onTouch: (touch) => touches.push(touch) });
  const page = await browser.newPage({ viewport, hasTouch: true });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(kiosk.url);
  await page.locator(`main[data-seq="${kiosk.state().seq}"]`).waitFor();
  return { page, kiosk };
}

/** Pushes a screen through the sink and waits until the page has rendered it. */
async function push(page: Page, running: RunningKiosk, screen: KioskScreen): Promise<void> {
  running.show(screen);
  await page.locator(`main[data-seq="${running.state().seq}"]`).waitFor();
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the kiosk page in Chromium", () => {
  it("follows the screens of a dialysis check pushed through the sink, in Simplified Chinese", async () => {
    const { page, kiosk: k } = await open("dialysis_station");
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    await expect(page.locator("#prompt").textContent()).resolves.toBe("请将身份证放在读卡器上");
    expect(await page.locator("#prompt").getAttribute("aria-live")).toBe("assertive");
    const sequence: [KioskScreen, string][] = [
      [{ screen: "reading_card" }, "正在读卡，请不要移开证件"],
      [{ screen: "look_at_camera", person }, "请正视摄像头"],
      [{ screen: "coaching", person, prompt: "too_far" }, "请再靠近一些"],
      [{ screen: "challenge", person, challenge: "blink" }, "请眨一下眼睛"],
      [{ screen: "result", person, outcome: "verified", kind: "dialysis.check_in", failedPart: null }, "核验通过"],
      [{ screen: "idle", mode: "dialysis_station" }, "请将身份证放在读卡器上"],
    ];
    for (const [screen, prompt] of sequence) {
      await push(page, k, screen);
      expect(await page.locator("#prompt").textContent()).toBe(prompt);
      expect(await page.locator("main").getAttribute("data-screen")).toBe(screen.screen);
    }
    await push(page, k, { screen: "result", person, outcome: "face_mismatch", kind: "dialysis.check_in", failedPart: "face" });
    expect(await page.locator("#detail").textContent()).toContain("张*三");
    expect(await page.locator("main").getAttribute("class")).toContain("outcome-bad");
    await page.close();
  });

  it("switches to English and back with the language button, for this box's every page", async () => {
    const { page, kiosk: k } = await open("dialysis_station");
    const second = await browser.newPage();
    await second.goto(k.url);
    await push(page, k, { screen: "coaching", person, prompt: "too_dark" });
    expect(await page.locator("#prompt").textContent()).toBe("光线太暗，请开灯或靠近光源");
    await page.locator("#language").click();
    await page.locator("html[lang=en]").waitFor();
    expect(await page.locator("#prompt").textContent()).toBe("Too dark, please turn on a light");
    expect(k.state().language).toBe("en");
    await second.locator("html[lang=en]").waitFor();
    await page.locator("#language").click();
    await page.locator("html[lang=zh-CN]").waitFor();
    expect(await page.locator("#language").textContent()).toBe("English");
    await second.close();
    await page.close();
  });

  it("posts the nurse's attestation reason", async () => {
    const { page, kiosk: k } = await open("dialysis_station");
    await page.locator('[data-action="start_attestation"]').click();
    await until(() => touches.length === 1, "the attestation touch");
    await push(page, k, { screen: "attestation", person, step: "choose_reason" });
    expect(await page.locator("#prompt").textContent()).toBe("请选择无法人脸核验的原因");
    await page.locator('[data-action="reason:bandage"]').click();
    await until(() => touches.length === 2, "the reason touch");
    expect(touches).toEqual([{ action: "start_attestation" }, { action: "choose_reason", reason: "bandage" }]);
    await page.close();
  });

  it("starts a round, picks a bed from the roster and records the patient absent", async () => {
    const { page, kiosk: k } = await open("ward_round");
    await page.locator('[data-action="start_round:doctor"]').click();
    await until(() => touches.length === 1, "start round");
    await push(page, k, { screen: "pick_bed", ward: "5B", beds: [{ bed: "11", person: null }, { bed: "12", person: { maskedName: "*", maskedId: "3201**********1234" } }] });
    expect(await page.locator('[data-action="pick_bed:12"]').textContent()).toContain("3201**********1234");
    await page.locator('[data-action="pick_bed:12"]').click();
    await until(() => touches.length === 2, "pick bed");
    await push(page, k, { screen: "place_card" });
    expect(await page.locator("#prompt").textContent()).toBe("请将 12 床患者的身份证放在读卡器上");
    await page.locator('[data-action="patient_absent"]').click();
    await until(() => touches.length === 3, "patient absent");
    expect(touches).toEqual([{ action: "start_round", role: "doctor" }, { action: "pick_bed", ward: "5B", bed: "12" }, { action: "patient_absent" }]);
    await page.close();
  });

  for (const viewport of [{ width: 800, height: 480 }, { width: 1280, height: 800 }]) {
    it(`renders every screen at ${viewport.width}x${viewport.height} in both languages with no raw ID number and touch targets of at least 48 px`, { timeout: 60_000 }, async () => {
      const { page, kiosk: k } = await open("ward_round", viewport);
      for (const language of ["zh-CN", "en"] as const) {
        await fetch(new URL("api/language", k.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ language }) });
        await page.locator(`html[lang="${language}"]`).waitFor();
        for (const screen of EVERY_SCREEN) {
          await push(page, k, screen);
          const text = await page.locator("body").innerText();
          expect(text, `${language} ${screen.screen}`).not.toMatch(ID_PATTERN);
          expect(text.trim().length).toBeGreaterThan(0);
          for (const target of await page.locator("button:visible").all()) {
            const box = await target.boundingBox();
            expect(Math.min(box?.width ?? 0, box?.height ?? 0), `${language} ${screen.screen} button ${(await target.textContent()) ?? ""}`).toBeGreaterThanOrEqual(48);
          }
        }
      }
      // The stream itself carries only the masked form.
      expect(JSON.stringify(k.state())).not.toContain(RAW_ID);
      await page.close();
    });
  }
});
