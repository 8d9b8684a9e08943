import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BEHAVIOUR } from "../firmware-config/box-settings.js";
import { readBoxConfig } from "../firmware-config/box-config-file.js";
import { alertId, boxTopic, eventSigningBytes, EventMessage, maskIdNumber, PROTOCOL_VERSION } from "../protocol/index.js";
import { verify, createPublicKey } from "node:crypto";
import { loadBoxSecrets } from "../device/agent/box-secrets.js";
import { facePipelineFor, loadFaceModels, pipelineFaceCheckFactory, type FaceModels } from "../device/agent/face-models.js";
import { TemplateStore } from "../device/face/template-store.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { newApiToken } from "../gateway/http/api-auth.js";
import { cardAt, FACES_DIR, prepareBox, refOf, startInProcessAgent, until, type InProcessAgent } from "./fixtures/agent-rig.js";

/**
 * The box agent in-process against a real gateway (embedded broker, SQLite): the virtual ID-card
 * reader on serialport's mock binding, a directory camera, and a scripted or the real face check.
 */
let dir: string;
let gateway: RunningGateway;
const running: InProcessAgent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-agent-checks-"));
  gateway = await startGateway({ store: { kind: "sqlite", path: join(dir, "gateway.db") }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 0 } });
});

afterAll(async () => {
  for (const a of running) await a.agent.stop();
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

async function agentFor(box: string, overrides: Parameters<typeof startInProcessAgent>[1] = {}, prepare: Partial<Parameters<typeof prepareBox>[2]> = {}) {
  const prepared = await prepareBox(join(dir, box), gateway.store, { box, site: "H-AGENT", mqttUrl: gateway.mqttUrl, ...prepare });
  const rig = await startInProcessAgent(prepared, overrides);
  running.push(rig);
  return { prepared, rig };
}

async function storedEvents(box: string): Promise<EventMessage[]> {
  const page = await gateway.store.queryEvents({ box }, { limit: 100 });
  return page.items.map((record) => EventMessage.parse(JSON.parse(record.body)));
}

describe("the box agent against a gateway", () => {
  it("records a tap as a signed check-in, shows done only after the outbox has it, and empties the outbox on the gateway's ack", async () => {
    const { prepared, rig } = await agentFor("agent-a");
    const card = cardAt(prepared, 0);
    await rig.tap(card);
    const recordedAt = rig.log.findIndex((e) => e.event === "recorded");
    const resultAt = rig.log.findIndex((e) => e.event === "screen" && e.screen.screen === "result");
    expect(recordedAt).toBeGreaterThanOrEqual(0);
    expect(resultAt).toBeGreaterThan(recordedAt);
    expect(rig.log.find((e) => e.event === "done_shown")).toMatchObject({ seq: 1 });
    await until(async () => (await storedEvents("agent-a")).length === 1 && rig.agent.health().outbox.depth === 0, "stored and acked");
    const [event] = await storedEvents("agent-a");
    if (event === undefined) throw new Error("no event");
    expect(event).toMatchObject({ kind: "dialysis.check_in", seq: 1, box: "agent-a", station: { id: "chair-1" }, subject: { ref: refOf(card), refKey: "pk-test", masked: maskIdNumber(card.card.idNumber) }, verification: { outcome: "verified" } });
    // One frame of the burst kept as evidence (encrypted on the box), named in the event by hash.
    expect(event.evidence).toMatchObject([{ kind: "frame", mediaType: "image/jpeg" }]);
    const key = createPublicKey(loadBoxSecrets(prepared.config.keys).signingKey);
    expect(verify(null, eventSigningBytes(event), key, Buffer.from(event.sig.value, "base64url"))).toBe(true);
    // Only masked forms reach the screen.
    const shown = JSON.stringify(rig.screens);
    expect(shown).not.toContain(card.card.idNumber);
    expect(shown).toContain(maskIdNumber(card.card.idNumber));
    expect(rig.agent.health().delivery.acks.deleted).toBe(1);
  });

  it("checks the same patient out naming the check-in, and a repeated tap within the window records nothing", async () => {
    const { prepared, rig } = await agentFor("agent-b");
    const card = cardAt(prepared, 1);
    await rig.tap(card);
    const checkIn = rig.log.find((e) => e.event === "recorded");
    await rig.tap(card, (log) => log.filter((e) => e.event === "screen" && e.screen.screen === "result").length === 2);
    expect(rig.log.filter((e) => e.event === "recorded")).toHaveLength(1);
    expect(rig.screens.filter((s) => s.screen === "result").at(-1)).toMatchObject({ message: "already_recorded" });
    // Past the window (shortened by a configuration push: repeatTapWindowS 0), the tap is the check-out.
    const client = await mqtt.connectAsync(gateway.mqttUrl, { protocolVersion: 4 });
    const push = { v: PROTOCOL_VERSION, site: "H-AGENT", box: "agent-b", revision: 1, issuedAt: new Date().toISOString(), settings: { ...DEFAULT_BEHAVIOUR, repeatTapWindowS: 0 }, roster: [] };
    await client.publishAsync(boxTopic("config", { site: "H-AGENT", box: "agent-b" }), JSON.stringify(push), { qos: 1, retain: true });
    await until(() => rig.agent.config.revision === 1, "config applied");
    await client.publishAsync(boxTopic("config", { site: "H-AGENT", box: "agent-b" }), "", { qos: 1, retain: true });
    await client.endAsync();
    await rig.tap(card, (log) => log.filter((e) => e.event === "recorded").length === 2);
    await until(async () => (await storedEvents("agent-b")).length === 2, "both stored");
    const events = await storedEvents("agent-b");
    const out = events.find((e) => e.kind === "dialysis.check_out");
    expect(out).toMatchObject({ seq: 2, checkInId: checkIn?.event === "recorded" ? checkIn.id : "?" });
  });

  it("refuses a malformed or hostile configuration push with its reason and keeps the last good configuration", async () => {
    const { prepared, rig } = await agentFor("agent-c");
    const topic = boxTopic("config", { site: "H-AGENT", box: "agent-c" });
    const client = await mqtt.connectAsync(gateway.mqttUrl, { protocolVersion: 4 });
    const base = { v: PROTOCOL_VERSION, site: "H-AGENT", box: "agent-c", issuedAt: new Date().toISOString(), settings: DEFAULT_BEHAVIOUR, roster: [] };
    const refusals = (): string[] => rig.log.flatMap((e) => (e.event === "config_refused" ? [`${e.reason}: ${e.detail}`] : []));
    await client.publishAsync(topic, "{ not json", { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...base, revision: 3, settings: { ...DEFAULT_BEHAVIOUR, extra: true } }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...base, box: "someone-else", revision: 3 }), { qos: 1 });
    // Valid by the schema, but a face threshold that accepts strangers: the face part refuses to start with it.
    await client.publishAsync(topic, JSON.stringify({ ...base, revision: 4, settings: { ...DEFAULT_BEHAVIOUR, faceThreshold: 5 } }), { qos: 1 });
    await until(() => refusals().length === 4, "four refusals");
    const [notJson, unknownKey, otherBox, hostile] = refusals();
    expect(notJson).toMatch(/^invalid_message: /);
    expect(unknownKey).toMatch(/^invalid_message: .*extra/);
    expect(otherBox).toMatch(/^other_box: push for H-AGENT\/someone-else/);
    expect(hostile).toMatch(/^start_failed: revision 4: face threshold 5 outside .*kept revision 0/);
    expect(rig.agent.config.revision).toBe(0);
    expect(readBoxConfig(prepared.configPath)).toMatchObject({ ok: true, config: { revision: 0, behaviour: { faceThreshold: null } } });
    expect(rig.agent.health().lastConfigRefusal).toMatchObject({ reason: "start_failed" });
    // A good push after them is applied, written with the previous file kept, and the roster reaches the flow.
    const roster = [{ ward: "5B", bed: "12" }];
    await client.publishAsync(topic, JSON.stringify({ ...base, revision: 5, roster }), { qos: 1 });
    await until(() => rig.agent.config.revision === 5, "revision 5");
    expect(readBoxConfig(prepared.configPath)).toMatchObject({ ok: true, config: { revision: 5, roster } });
    expect(JSON.parse(readFileSync(`${prepared.configPath}.previous`, "utf8"))).toMatchObject({ revision: 0 });
    expect(rig.agent.flowState().settings.roster).toEqual(roster);
    // The box reports the revision it runs in its retained status, so the gateway knows it applied.
    const reported = async (): Promise<unknown> => {
      const status = (await gateway.store.getDevice("agent-c"))?.lastStatus;
      return status === null || status === undefined ? null : (JSON.parse(status) as { health: { configRevision?: number } | null }).health?.configRevision;
    };
    await until(async () => (await reported()) === 5, "revision 5 reported in the status");
    await client.endAsync();
  });

  it("takes the gateway's watch list: a listed card's check is marked, the screen asks for staff, the gateway raises W1; bad commands are answered with their reason", async () => {
    const { prepared, rig } = await agentFor("agent-w");
    const address = { site: "H-AGENT", box: "agent-w" };
    const client = await mqtt.connectAsync(gateway.mqttUrl, { protocolVersion: 4 });
    const responses: { commandId: string; status: string; error: string | null; data: Record<string, unknown> }[] = [];
    client.on("message", (_topic, payload) => responses.push(JSON.parse(payload.toString()) as (typeof responses)[number]));
    await client.subscribeAsync(boxTopic("responses", address), { qos: 1 });
    const listed = cardAt(prepared, 2);
    const command = (id: string, overrides: Record<string, unknown> = {}) => ({
      v: PROTOCOL_VERSION,
      id,
      issuedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      command: "watch_list_update",
      args: { watchList: [{ cardRef: refOf(listed), faceTemplateId: null }] },
      ...overrides,
    });
    const topic = boxTopic("commands", address);
    await client.publishAsync(topic, JSON.stringify(command("0193b6a0-0000-7000-8000-000000000001")), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(command("0193b6a0-0000-7000-8000-000000000002", { expiresAt: new Date(Date.now() - 1000).toISOString() })), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(command("0193b6a0-0000-7000-8000-000000000003", { command: "restart_agent", args: {} })), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(command("0193b6a0-0000-7000-8000-000000000004", { args: { watchList: "everyone" } })), { qos: 1 });
    await until(() => responses.length === 4, "four answers");
    const byId = new Map(responses.map((r) => [r.commandId.slice(-1), r]));
    expect(byId.get("1")).toMatchObject({ status: "ok", error: null, data: { entries: 1 } });
    expect(byId.get("2")).toMatchObject({ status: "expired" });
    expect(byId.get("3")).toMatchObject({ status: "rejected", error: expect.stringContaining("restart_agent needs a service manager") as unknown });
    expect(byId.get("4")).toMatchObject({ status: "rejected", error: expect.stringContaining("args.watchList") as unknown });
    await client.endAsync();
    // The listed card: marked whatever the face said, the screen asks for a staff check, W1 at the gateway.
    await rig.tap(listed);
    expect(rig.screens.filter((screen) => screen.screen === "result").at(-1)).toMatchObject({ message: "staff_check_required" });
    await until(async () => (await storedEvents("agent-w")).length === 1, "stored");
    const [event] = await storedEvents("agent-w");
    expect(event?.verification).toMatchObject({ outcome: "verified", watchListed: true });
    await until(async () => (await gateway.store.alertCases().queryCases({ rule: "W1" }, { limit: 10 })).items.some((c) => c.id === alertId("watchlisted_card_presented", [event?.id ?? "?"])), "W1 raised");
    // Another card is not marked; the list survives a restart of the agent (kept beside the outbox).
    await rig.tap(cardAt(prepared, 3), (log) => log.filter((e) => e.event === "recorded").length === 2);
    await until(async () => (await storedEvents("agent-w")).length === 2, "second stored");
    expect((await storedEvents("agent-w")).find((e) => e.subject.ref === refOf(cardAt(prepared, 3)))?.verification).not.toHaveProperty("watchListed");
    expect(readFileSync(join(dirname(prepared.config.outbox.path), "watch-list.json"), "utf8")).toContain(refOf(listed));
  });

  it("carries out resend_outbox (acknowledged events republished from a seq), sync_templates and restart_agent, each answered", async () => {
    let restartReason: string | null = null;
    const { prepared, rig } = await agentFor("agent-r", { onRestartRequested: (reason) => (restartReason = reason) });
    const address = { site: "H-AGENT", box: "agent-r" };
    for (const i of [0, 1, 2]) await rig.tap(cardAt(prepared, i), (log) => log.filter((e) => e.event === "recorded").length === i + 1);
    await until(async () => (await storedEvents("agent-r")).length === 3 && rig.agent.health().outbox.depth === 0, "three stored and acked");

    const client = await mqtt.connectAsync(gateway.mqttUrl, { protocolVersion: 4 });
    const responses: { commandId: string; status: string; error: string | null; data: Record<string, unknown> }[] = [];
    const republished: number[] = [];
    client.on("message", (topic, payload) => {
      if (topic.endsWith("/responses")) responses.push(JSON.parse(payload.toString()) as (typeof responses)[number]);
      else republished.push((JSON.parse(payload.toString()) as { seq: number }).seq);
    });
    await client.subscribeAsync([boxTopic("responses", address), boxTopic("events", address)], { qos: 1 });
    const command = (id: string, name: string, args: Record<string, unknown> = {}) =>
      JSON.stringify({ v: PROTOCOL_VERSION, id, issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 3_600_000).toISOString(), command: name, args });
    const topic = boxTopic("commands", address);
    // An operator asks through the API for the events from seq 2 on (say the gateway's store was restored
    // from a backup): the box sends 2 and 3 again, the gateway stores nothing twice, the answer is audited.
    const { token, tokenHash } = newApiToken();
    await gateway.store.createApiToken({ name: "it desk", role: "hospital", site: "H-AGENT", tokenHash, createdAt: Date.now() });
    const sent = await fetch(new URL("/api/v1/devices/agent-r/commands", gateway.httpUrl), { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ command: "resend_outbox", fromSeq: 2 }) });
    expect(sent.status).toBe(202);
    const commandId = ((await sent.json()) as { id: string }).id;
    await until(() => responses.some((r) => r.commandId === commandId), "resend answered");
    expect(responses.find((r) => r.commandId === commandId)).toMatchObject({ status: "ok", data: { requeued: 2, fromSeq: 2, heldFrom: 2, lastSeq: 3 } });
    const audited = async () => (await gateway.store.alertCases().auditEntries(0, 10_000)).filter((e) => e.subject === "device/agent-r" && e.detail.includes(commandId)).map((e) => e.action);
    await until(async () => (await audited()).length === 2, "command and answer audited");
    expect(await audited()).toEqual(["device.command_sent", "device.command_answered"]);
    await until(() => republished.length >= 2 && rig.agent.health().outbox.depth === 0, "republished and acked again");
    expect([...new Set(republished)].sort()).toEqual([2, 3]);
    expect((await storedEvents("agent-r")).map((e) => e.seq).sort()).toEqual([1, 2, 3]);
    // Without fromSeq it is refused with the reason; without template sync, sync_templates says so.
    await client.publishAsync(topic, command("0193b6a0-0000-7000-8000-0000000000a2", "resend_outbox"), { qos: 1 });
    await client.publishAsync(topic, command("0193b6a0-0000-7000-8000-0000000000a3", "sync_templates"), { qos: 1 });
    await until(() => responses.some((r) => r.commandId.endsWith("a2")) && responses.some((r) => r.commandId.endsWith("a3")), "two answers");
    expect(responses.find((r) => r.commandId.endsWith("a2"))).toMatchObject({ status: "rejected", error: "resend_outbox without args.fromSeq" });
    expect(responses.find((r) => r.commandId.endsWith("a3"))).toMatchObject({ status: "rejected", error: expect.stringContaining("does not synchronise templates") as unknown });
    // restart_agent: answered first, then the service manager's hook is called.
    await client.publishAsync(topic, command("0193b6a0-0000-7000-8000-0000000000a4", "restart_agent"), { qos: 1 });
    await until(() => restartReason !== null, "restart requested");
    expect(responses.find((r) => r.commandId.endsWith("a4"))).toMatchObject({ status: "ok", data: { restarting: true } });
    expect(restartReason).toContain("0193b6a0-0000-7000-8000-0000000000a4");
    await client.endAsync();
  });

  it("records a refused card as card_unreadable without a subject, and keeps running", async () => {
    const { prepared, rig } = await agentFor("agent-d");
    const good = prepared.cards.find((c) => c.card.cardType === "resident_id") ?? cardAt(prepared, 0);
    const digits = good.card.idNumber.slice(0, -1);
    const wrongCheck = digits + (good.card.idNumber.endsWith("0") ? "1" : "0");
    const forged = { ...good, card: { ...good.card, idNumber: wrongCheck } };
    await rig.tap(forged, (log) => log.some((e) => e.event === "recorded"));
    expect(rig.log.find((e) => e.event === "report")).toMatchObject({ report: { report: "card_problem", problem: "invalid_card" } });
    expect(JSON.stringify(rig.log)).not.toContain(wrongCheck);
    await rig.tap(good, (log) => log.filter((e) => e.event === "recorded").length === 2);
    await until(async () => (await storedEvents("agent-d")).length === 2, "both stored");
    const outcomes = (await storedEvents("agent-d")).sort((a, b) => a.seq - b.seq).map((e) => [e.verification.outcome, e.subject.ref === null]);
    expect(outcomes).toEqual([["card_unreadable", true], ["verified", false]]);
  });
});

describe("the box agent with the real face pipeline", () => {
  let models: FaceModels;
  beforeAll(async () => {
    models = await loadFaceModels();
  });
  afterAll(async () => {
    await models.close();
  });

  it("turns an undecodable frame and a tampered template into precise problems and card_only events, never a crash", { timeout: 60_000 }, async () => {
    const camera = join(dir, "bad-camera");
    mkdirSync(camera);
    writeFileSync(join(camera, "frame.jpg"), Buffer.from("this is not a JPEG"));
    const prepared = await prepareBox(join(dir, "agent-e"), gateway.store, { box: "agent-e", site: "H-AGENT", mqttUrl: gateway.mqttUrl, camera: { kind: "directory", path: camera, fps: 20 } });
    const templates = new TemplateStore(prepared.config.templates.path, loadBoxSecrets(prepared.config.keys).templateKey);
    const rig = await startInProcessAgent(prepared, { face: pipelineFaceCheckFactory(models, templates) });
    running.push(rig);
    const card = cardAt(prepared, 0);
    const agassi = readdirSync(join(FACES_DIR, "Andre_Agassi")).sort().slice(0, 4).map((f) => readFileSync(join(FACES_DIR, "Andre_Agassi", f)));
    const pipeline = facePipelineFor(models, prepared.config.behaviour);
    expect((await pipeline.enrol(agassi, refOf(card), templates)).ok).toBe(true);
    await rig.tap(card, (log) => log.some((e) => e.event === "recorded"));
    expect(rig.log.find((e) => e.event === "problem")).toMatchObject({ part: "camera", detail: "the camera's frames do not decode as images" });
    expect(rig.screens.some((screen) => screen.screen === "coaching")).toBe(false);
    // A template row whose ciphertext was altered on disk.
    templates.put({ personRef: refOf(cardAt(prepared, 1)), model: "dlib-resnet-v1@2", descriptor: new Float32Array(128).fill(0.1), frames: 3, enrolledAt: Date.now() });
    const db = new Database(prepared.config.templates.path);
    db.prepare("UPDATE templates SET ciphertext = randomblob(length(ciphertext))").run();
    db.close();
    writeFileSync(join(camera, "frame.jpg"), readFileSync(join(FACES_DIR, "Andre_Agassi", "Andre_Agassi_0001.jpg")));
    await rig.tap(cardAt(prepared, 1), (log) => log.filter((e) => e.event === "recorded").length === 2);
    expect(rig.log.filter((e) => e.event === "problem").at(-1)).toMatchObject({ part: "face", detail: expect.stringContaining("does not decrypt") as unknown });
    await until(async () => (await storedEvents("agent-e")).length === 2, "both stored");
    expect((await storedEvents("agent-e")).map((e) => e.verification.outcome)).toEqual(["card_only", "card_only"]);
    templates.close();
  });
});
