import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKioskServer, type RunningKiosk } from "../device/kiosk/kiosk-server.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { maskIdNumber } from "../protocol/index.js";
import { cardAt, prepareBox, startInProcessAgent, until, type InProcessAgent, type PreparedBox } from "./fixtures/agent-rig.js";

/**
 * The kiosk page on a real box agent, in headless Chromium, while the virtual reader taps cards: a
 * patient's check goes from "place your card" to the result on the page, and a nurse attestation is
 * driven from the page's buttons with the nurse's and the patient's cards on the reader. The agent
 * runs a scripted face check (this test is about the screen, not faces) against a real gateway.
 */
const CHROMIUM = process.env.CAREWITNESS_TEST_CHROMIUM ?? "/usr/bin/chromium";

let dir: string;
let gateway: RunningGateway;
let browser: Browser;
let kiosk: RunningKiosk;
let rig: InProcessAgent;
let page: Page;
let box: PreparedBox;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-kiosk-agent-"));
  gateway = await startGateway({ store: { kind: "sqlite", path: join(dir, "gateway.db") }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 0 } });
  box = await prepareBox(join(dir, "box"), gateway.store, { box: "kiosk-chair-1", site: "H-KIOSK", mqttUrl: gateway.mqttUrl });
  let agent: InProcessAgent["agent"] | null = null;
  kiosk = await startKioskServer({ port: 0, mode: "dialysis_station", label: "chair-1", onTouch: (touch) => agent?.act(touch) });
  rig = await startInProcessAgent(box, { kiosk, timing: { burstFrames: 2, burstTimeoutMs: 2000, tickMs: 50, deliveryMs: 50, resultMs: 4000 } });
  agent = rig.agent;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  page = await browser.newPage({ viewport: { width: 800, height: 480 }, hasTouch: true });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(kiosk.url);
  await page.locator('main[data-screen="idle"]').waitFor();
}, 90_000);

afterAll(async () => {
  await browser.close();
  await rig.agent.stop();
  await kiosk.close();
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

const prompt = (): Promise<string | null> => page.locator("#prompt").textContent();

describe("the kiosk page on a running box agent", () => {
  it("shows a patient's tap from the idle screen to the result, with the masked number only", { timeout: 30_000 }, async () => {
    expect(await prompt()).toBe("请将身份证放在读卡器上");
    const card = cardAt(box, 0);
    await rig.tap(card);
    await page.locator('main[data-screen="result"]').waitFor();
    expect(await prompt()).toBe("核验通过");
    const text = await page.locator("body").innerText();
    expect(text).toContain(maskIdNumber(card.card.idNumber));
    expect(text).toContain("透析签到");
    expect(text).not.toContain(card.card.idNumber);
    expect(rig.log.filter((e) => e.event === "recorded")).toHaveLength(1);
  });

  it("runs a nurse attestation from the page's buttons with the nurse's and the patient's cards", { timeout: 30_000 }, async () => {
    await page.locator('main[data-screen="idle"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-action="start_attestation"]').click();
    await page.locator('main[data-screen="nurse_card"]').waitFor();
    expect(await prompt()).toBe("护士证明：请护士先刷自己的证件");
    const [nurse, patient] = [cardAt(box, 2), cardAt(box, 3)];
    rig.reader.placeCard(nurse);
    await page.locator('main[data-screen="place_card"]').waitFor();
    rig.reader.removeCard();
    await new Promise((resolve) => setTimeout(resolve, 150));
    rig.reader.placeCard(patient);
    await page.locator('main[data-screen="attestation"]').waitFor();
    await page.locator('[data-action="reason:facial_paralysis"]').click();
    await until(() => rig.log.some((e) => e.event === "recorded" && e.outcome === "attested"), "the attested event");
    await page.locator("#prompt", { hasText: "护士证明已记录" }).waitFor();
    rig.reader.removeCard();
    expect(pageErrors).toEqual([]);
  });
});
