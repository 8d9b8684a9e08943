import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boxTopic } from "../protocol/index.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { newApiToken } from "../gateway/http/api-auth.js";
import { payloadOf, registrationOf, signedCheckIn, testBox, TEST_PSEUDONYM_KEY } from "./fixtures/signed-events.js";

/**
 * The supervisors' dashboard end to end in a real headless Chromium (Debian's /usr/bin/chromium
 * driven by playwright-core) against a real gateway (embedded broker, SQLite in a temp dir): log in
 * with a supervisor token, see an alert raised by a box's face-mismatch check-in arrive live without
 * a reload, open it, confirm it, and find the confirmation in the audit log view.
 */
const CHROMIUM = process.env.CAREWITNESS_TEST_CHROMIUM ?? "/usr/bin/chromium";
const RAW_ID_NUMBER = "11010519491231002X";
const box = testBox("e2e-chair-1", "H-E2E-DASH");

let dir: string;
let gateway: RunningGateway;
let browser: Browser;
let page: Page;
let client: MqttClient;
let token: string;
let adminToken: string;
const pageErrors: string[] = [];
const failedRequests: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-dashboard-e2e-"));
  gateway = await startGateway({
    store: { kind: "sqlite", path: join(dir, "gateway.db") },
    mqtt: { url: null, embeddedPort: 0 },
    http: { port: 0 },
    ingest: { verifyWorkers: 0 },
    pseudonymKey: TEST_PSEUDONYM_KEY.toString("hex"),
  });
  await gateway.store.registerDevice(registrationOf(box));
  const created = newApiToken();
  await gateway.store.createApiToken({ name: "e2e supervisor", role: "supervisor", site: null, tokenHash: created.tokenHash, createdAt: Date.now() });
  token = created.token;
  const importer = newApiToken();
  await gateway.store.createApiToken({ name: "e2e importer", role: "admin", site: null, tokenHash: importer.tokenHash, createdAt: Date.now() });
  adminToken = importer.token;
  client = await mqtt.connectAsync(gateway.mqttUrl, { clientId: box.box, protocolVersion: 4 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  page = await browser.newPage({ acceptDownloads: true });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("response", (response) => {
    if (response.status() >= 400) failedRequests.push(`${String(response.status())} ${new URL(response.url()).pathname}`);
  });
}, 90_000);

afterAll(async () => {
  await browser.close();
  client.end(true);
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("supervisors' dashboard in a real browser", () => {
  it("asks for a token, refuses a wrong one, and opens the inbox in Chinese with the right one", async () => {
    await page.goto(`${gateway.httpUrl}/dashboard/`);
    await page.getByLabel("API 令牌").fill("cwt_not-a-token");
    await page.getByRole("button", { name: "登录" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("令牌无效或已撤销。");
    await page.getByLabel("API 令牌").fill(token);
    await page.getByRole("button", { name: "登录" }).click();
    await page.getByRole("heading", { level: 1, name: "告警收件箱" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("zh-CN");
    await page.locator('.live[data-state="connected"]').waitFor({ timeout: 15_000 });
  });

  it("shows an alert raised by a face-mismatch check-in live, without a reload", async () => {
    // A value kept on the page's window survives only if the alert arrives without a reload.
    await page.evaluate("window.e2eMarker = 'same page'");
    const mismatch = signedCheckIn(box, 1, { outcome: "face_mismatch", idNumber: RAW_ID_NUMBER });
    await client.publishAsync(boxTopic("events", box), payloadOf(mismatch), { qos: 1 });
    const row = page.locator("tr.new-alert[data-alert-id]").first();
    await row.waitFor({ timeout: 15_000 });
    expect(await page.evaluate("window.e2eMarker")).toBe("same page");
    expect(await row.textContent()).toContain(box.site);
    await expect.poll(() => page.locator("#announcer").textContent()).toContain("新告警");
  });

  it("opens the alert with its explanation and timeline, acknowledges it and confirms it with a note", async () => {
    await page.locator("tr[data-alert-id] td a").first().click();
    await page.getByRole("heading", { level: 2, name: "规则说明" }).waitFor();
    expect((await page.locator(".explanation").textContent())?.trim().length).toBeGreaterThan(5);
    expect(await page.locator('ol.timeline li[data-kind="event"]').count()).toBeGreaterThan(0);
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "下载签名证据包" }).click();
    expect((await download).suggestedFilename()).toMatch(/\.json$/);
    await page.getByRole("button", { name: "确认收到" }).click();
    await expect.poll(() => page.locator('dd[data-field="state"]').textContent(), { timeout: 10_000 }).toBe("已确认收到");
    await page.getByRole("button", { name: "认定属实" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("备注").fill("复核监控录像，确认非本人");
    await dialog.getByRole("button", { name: "提交" }).click();
    await expect.poll(() => page.locator('dd[data-field="state"]').textContent(), { timeout: 10_000 }).toBe("已认定属实");
  });

  it("counts the confirmed case in the institution's record, with its detail, its evidence and the CSV for Excel", async () => {
    const detailUrl = page.url();
    await page.getByRole("link", { name: box.site }).click();
    await page.getByRole("heading", { level: 2, name: "属实案件记录" }).waitFor();
    expect(await page.locator('[data-field="confirmed-totals"]').textContent()).toBe("共 1 起属实案件，涉及 1 名患者，其中 0 名不止一起；1 起的证件在监控名单上。");
    const cases = page.getByRole("table", { name: "属实案件明细" });
    expect(await cases.locator('th[scope="col"]').allTextContents()).toEqual(["发生时间", "规则", "患者", "认定时间", "认定人", "备注", "状态", "监控名单", "操作"]);
    const row = cases.locator("tr[data-case-id]");
    expect(await row.count()).toBe(1);
    const alertId = (await row.getAttribute("data-case-id")) ?? "";
    expect(detailUrl).toContain(`#/alerts/${alertId}`);
    expect(await row.textContent()).toContain("复核监控录像，确认非本人");
    expect(await row.textContent()).toMatch(/1101\*+002X/);
    expect(await row.locator('[data-field="state"]').textContent()).toBe("已认定属实");
    expect(await page.getByRole("table", { name: "属实案件（按规则）" }).locator("tbody tr").allTextContents()).toEqual(["D2 冒名顶替（人脸不符或疑似攻击）1"]);

    const evidence = page.waitForEvent("download");
    await row.getByRole("button", { name: `下载告警 ${alertId} 的签名证据包` }).click();
    expect((await evidence).suggestedFilename()).toBe(`carewitness-evidence-${alertId}.json`);
    const csvDownload = page.waitForEvent("download");
    await page.getByRole("button", { name: "下载属实案件 CSV（Excel）" }).click();
    const csvFile = await csvDownload;
    expect(csvFile.suggestedFilename()).toBe(`carewitness-confirmed-cases-${box.site}.csv`);
    const csv = readFileSync(await csvFile.path(), "utf8");
    expect(csv.startsWith("\uFEFFalert_id,rule,")).toBe(true);
    expect(csv).toContain(`${alertId},D2,impersonation_suspected,critical,`);
    expect(csv).not.toContain(RAW_ID_NUMBER);

    await row.getByRole("link", { name: `查看告警 ${alertId}` }).click();
    await page.getByRole("heading", { level: 2, name: "规则说明" }).waitFor();
    expect(page.url()).toBe(detailUrl);
  });

  it("finds the confirmation in the audit log view, and switches to English", async () => {
    await page.getByRole("link", { name: "审计日志" }).click();
    await page.getByRole("heading", { level: 1, name: "审计日志" }).waitFor();
    await expect.poll(() => page.locator("tbody tr").filter({ hasText: /confirm/i }).count()).toBeGreaterThan(0);
    expect(await page.locator("tbody").textContent()).toContain("复核监控录像");
    await page.getByRole("button", { name: "Switch to English" }).click();
    await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
  });

  it("shows the box in the fleet view and never a raw ID number anywhere it went", async () => {
    await page.getByRole("link", { name: "Boxes" }).click();
    await page.locator(`tr[data-box="${box.box}"]`).waitFor();
    await page.getByRole("link", { name: "Alerts" }).click();
    await page.locator("tr[data-alert-id]").first().waitFor();
    const text = await page.locator("body").innerText();
    expect(text).not.toContain(RAW_ID_NUMBER);
    expect(text).toMatch(/1101\*+002X/);
    expect(pageErrors).toEqual([]);
    // The one refused request is the wrong token at login.
    expect(failedRequests).toEqual(["401 /api/v1/devices"]);
  });

  it("shows a billed cell that looks like a spreadsheet formula as plain text, on the page and in the evidence bundle", async () => {
    const formula = '=HYPERLINK("http://evil.example/","open me")';
    const start = new Date(Date.now() - 2 * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");
    const csv = [
      "institution_code,settlement_id,line_id,patient_id_number,patient_name,visit_type,item_code,item_name,service_start,quantity,amount",
      `${box.site},S-E2E,L-FORMULA,110105194912310011,李建国,outpatient,311000006,"${formula.replace(/"/g, '""')}",${start},1,400.00`,
    ].join("\n");
    const imported = await fetch(`${gateway.httpUrl}/api/v1/billing`, { method: "POST", headers: { authorization: `Bearer ${adminToken}`, "content-type": "text/csv" }, body: csv });
    expect(await imported.json()).toMatchObject({ stored: 1, rejected: 0 });
    // Billed, never checked in: the rule runner raises D1, and it arrives on the open inbox live.
    const row = page.locator("tr.new-alert[data-alert-id]").filter({ hasText: "D1" });
    await row.waitFor({ timeout: 15_000 });
    await row.locator("td a").first().click();
    const billing = page.locator('ol.timeline li[data-kind="billing"]');
    await billing.waitFor();
    expect(await billing.textContent()).toContain(`'${formula}`);
    expect(await page.locator('a[href^="http://evil"]').count()).toBe(0);
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download the signed evidence bundle" }).click();
    const path = await (await download).path();
    const bundle = readFileSync(path, "utf8");
    expect(bundle).toContain("'=HYPERLINK");
    expect(bundle).not.toMatch(/"=HYPERLINK/);
  });
});
