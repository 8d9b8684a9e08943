import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentStatusHealth } from "../device/agent/agent-health.js";
import { loadBoxSecrets } from "../device/agent/box-secrets.js";
import { facePipelineFor, loadFaceModels, pipelineFaceCheckFactory, type FaceModels } from "../device/agent/face-models.js";
import { DirectoryFrameSource } from "../device/camera/directory-frame-source.js";
import { TemplateStore } from "../device/face/template-store.js";
import mqtt from "mqtt";
import { alertId, boxTopic, EventMessage, maskIdNumber } from "../protocol/index.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { cardAt, FACES_DIR, prepareBox, refOf, startInProcessAgent, until, type InProcessAgent } from "./fixtures/agent-rig.js";

/** Ward rounds, enrolment and a stopped camera, through the agent against a gateway. */
let dir: string;
let gateway: RunningGateway;
const running: InProcessAgent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-agent-flows-"));
  gateway = await startGateway({ store: { kind: "sqlite", path: join(dir, "gateway.db") }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 0 } });
});

afterAll(async () => {
  for (const a of running) await a.agent.stop();
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

async function storedEvents(box: string): Promise<EventMessage[]> {
  const page = await gateway.store.queryEvents({ box }, { limit: 100 });
  return page.items.map((record) => EventMessage.parse(JSON.parse(record.body))).sort((a, b) => a.seq - b.seq);
}

describe("agent flows", () => {
  it("a ward round: operator card, bed from the roster, a bedside check and a 'patient absent' with bed, time and operator", async () => {
    const prepared = await prepareBox(join(dir, "ward"), gateway.store, {
      box: "ward-5b-r1",
      site: "H-FLOWS",
      role: "ward_round",
      location: "5B",
      mqttUrl: gateway.mqttUrl,
      roster: [{ ward: "5B", bed: "12" }, { ward: "5B", bed: "14", occupant: { ref: "e".repeat(64), refKey: "pk-test", masked: maskIdNumber("11010519491231002X") } }],
    });
    const rig = await startInProcessAgent(prepared);
    running.push(rig);
    const operator = cardAt(prepared, 4);
    const patient = cardAt(prepared, 5);
    rig.agent.act({ action: "start_round", role: "doctor" });
    rig.reader.placeCard(operator);
    await until(() => rig.agent.screen.screen === "pick_bed", "pick bed");
    rig.reader.removeCard();
    expect(rig.agent.screen).toMatchObject({ screen: "pick_bed", ward: "5B", beds: [{ bed: "12", person: null }, { bed: "14" }] });
    rig.agent.act({ action: "pick_bed", ward: "5B", bed: "12" });
    await rig.tap(patient);
    await until(() => rig.agent.screen.screen === "pick_bed", "back to the beds");
    rig.agent.act({ action: "scan_bed", code: "BED:5B/14" });
    rig.agent.act({ action: "patient_absent" });
    await until(async () => (await storedEvents("ward-5b-r1")).length === 2, "two bedside checks stored");
    const [check, absent] = await storedEvents("ward-5b-r1");
    const round = { shift: expect.stringMatching(/^(day|night)$/) as unknown, operatorRef: refOf(operator), operatorRole: "doctor" };
    expect(check).toMatchObject({ kind: "ward.bedside_check", bed: { ward: "5B", bed: "12" }, round, subject: { ref: refOf(patient) }, verification: { outcome: "verified" } });
    expect(absent).toMatchObject({ kind: "ward.bedside_check", bed: { ward: "5B", bed: "14" }, round, subject: { cardType: "none", ref: "e".repeat(64) }, verification: { outcome: "absent" } });
    expect(check?.kind === "ward.bedside_check" && absent?.kind === "ward.bedside_check" && check.round.id === absent.round.id).toBe(true);
  });

  it("a camera that stops delivering is down in the status within seconds, and a tap then records card_only", async () => {
    const camera = join(dir, "two-frames");
    mkdirSync(camera);
    const photo = readFileSync(join(FACES_DIR, "Andre_Agassi", readdirSync(join(FACES_DIR, "Andre_Agassi"))[0] ?? ""));
    writeFileSync(join(camera, "a.jpg"), photo);
    const prepared = await prepareBox(join(dir, "stall"), gateway.store, { box: "stall-chair", site: "H-FLOWS", mqttUrl: gateway.mqttUrl });
    const rig = await startInProcessAgent(prepared, { camera: new DirectoryFrameSource({ path: camera, fps: 10, loop: false, stallAfterMs: 800 }) });
    running.push(rig);
    await until(() => agentStatusHealth(rig.agent.health(), prepared.config).camera === "down", "camera down", 5000);
    expect(agentStatusHealth(rig.agent.health(), prepared.config).alarms).toContain("camera_down");
    await rig.tap(cardAt(prepared, 0), (log) => log.some((e) => e.event === "recorded"));
    expect(rig.log.find((e) => e.event === "problem")).toMatchObject({ part: "camera" });
    await until(async () => (await storedEvents("stall-chair")).length === 1, "stored");
    expect((await storedEvents("stall-chair"))[0]?.verification.outcome).toBe("card_only");
    // The gateway keeps the box online (it is up; its camera is not).
    expect((await gateway.store.getDevice("stall-chair"))?.state).toBe("online");
  });
});

describe("enrolment through the agent", () => {
  let models: FaceModels;
  beforeAll(async () => {
    models = await loadFaceModels();
  });
  afterAll(async () => {
    await models.close();
  });

  it("nurse card, patient card, quality-gated capture → an encrypted template, then the patient's face is compared at the next tap", { timeout: 60_000 }, async () => {
    const prepared = await prepareBox(join(dir, "enrol"), gateway.store, { box: "enrol-chair", site: "H-FLOWS", mqttUrl: gateway.mqttUrl, camera: { kind: "directory", path: join(FACES_DIR, "Andre_Agassi"), fps: 15 } });
    const templates = new TemplateStore(prepared.config.templates.path, loadBoxSecrets(prepared.config.keys).templateKey);
    const rig = await startInProcessAgent(prepared, { face: pipelineFaceCheckFactory(models, templates), timing: { burstFrames: 4, burstTimeoutMs: 3000, enrolmentFrames: 5, enrolmentTimeoutMs: 5000, tickMs: 50, deliveryMs: 50, resultMs: 100 } });
    running.push(rig);
    const nurse = cardAt(prepared, 3);
    const patient = cardAt(prepared, 0);
    rig.agent.act({ action: "start_enrolment" });
    await rig.tap(nurse, (log) => log.some((e) => e.event === "screen" && e.screen.screen === "enrolment" && e.screen.step === "patient_card"));
    await rig.tap(patient, (log) => log.some((e) => e.event === "screen" && e.screen.screen === "enrolment" && (e.screen.step === "done" || e.screen.step === "failed")));
    expect(rig.screens.find((s) => s.screen === "enrolment" && s.step === "done")).toMatchObject({ person: { maskedId: maskIdNumber(patient.card.idNumber) } });
    expect(rig.log.find((e) => e.event === "report")).toMatchObject({ report: { report: "enrolment", ok: true, nurseRef: refOf(nurse), patientRef: refOf(patient) } });
    expect(templates.get(refOf(patient), "dlib-resnet-v1@2")).toBeDefined();
    // The enrolment itself is an event (who enrolled whom; no other card holds this face), not a check.
    await until(async () => (await storedEvents("enrol-chair")).length === 1, "enrolment stored");
    expect((await storedEvents("enrol-chair"))[0]).toMatchObject({
      kind: "enrolment.face_enrolled",
      verification: { outcome: "enrolled" },
      enrolment: { staffRef: refOf(nurse), staffRole: "nurse", model: "dlib-resnet-v1@2", duplicateOf: [] },
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await rig.tap(patient, (log) => log.filter((e) => e.event === "recorded").length === 2);
    await until(async () => (await storedEvents("enrol-chair")).length === 2, "stored");
    const event = (await storedEvents("enrol-chair")).find((e) => e.kind === "dialysis.check_in");
    // Still photos: the face matches the template, and the liveness challenge decides verified or spoof.
    expect(event?.verification.face).toMatchObject({ metric: "euclidean_distance", model: "dlib-resnet-v1@2" });
    expect(event?.verification.face?.score).toBeLessThan(event?.verification.face?.threshold ?? 0);
    expect(["verified", "suspected_spoof"]).toContain(event?.verification.outcome);
    templates.close();
  });

  it("a mismatch says whose enrolled face it was; confirming it watches that face, and the face seen again on its own card needs staff (W2)", { timeout: 90_000 }, async () => {
    const prepared = await prepareBox(join(dir, "watch-face"), gateway.store, { box: "watch-chair", site: "H-WATCH", mqttUrl: gateway.mqttUrl, camera: { kind: "directory", path: join(FACES_DIR, "Andre_Agassi"), fps: 15 } });
    const templates = new TemplateStore(prepared.config.templates.path, loadBoxSecrets(prepared.config.keys).templateKey);
    const pipeline = facePipelineFor(models, prepared.config.behaviour);
    const photos = (name: string): Buffer[] => readdirSync(join(FACES_DIR, name)).sort().slice(0, 4).map((f) => readFileSync(join(FACES_DIR, name, f)));
    const holder = cardAt(prepared, 0);
    const impostor = cardAt(prepared, 1);
    // Both are enrolled patients of the institution; the camera shows the impostor (Agassi).
    expect((await pipeline.enrol(photos("Adrien_Brody"), refOf(holder), templates)).ok).toBe(true);
    expect((await pipeline.enrol(photos("Andre_Agassi"), refOf(impostor), templates)).ok).toBe(true);
    const rig = await startInProcessAgent(prepared, { face: pipelineFaceCheckFactory(models, templates), timing: { burstFrames: 4, burstTimeoutMs: 3000, enrolmentFrames: 5, enrolmentTimeoutMs: 5000, tickMs: 50, deliveryMs: 50, resultMs: 100 } });
    running.push(rig);

    await rig.tap(holder, (log) => log.some((e) => e.event === "recorded"));
    await until(async () => (await storedEvents("watch-chair")).length === 1, "mismatch stored");
    const [used] = await storedEvents("watch-chair");
    if (used === undefined) throw new Error("no event");
    // Still photos fail the liveness challenge, so a spoof or a mismatch: either way the face is named.
    expect(["face_mismatch", "suspected_spoof"]).toContain(used.verification.outcome);
    expect(used.verification.faceIdentifiedAs?.ref).toBe(refOf(impostor));
    expect(used.verification.faceIdentifiedAs?.score).toBeLessThan(used.verification.faceIdentifiedAs?.threshold ?? 0);
    expect(used.verification).not.toHaveProperty("watchListedFace");

    // The supervisor confirms the impersonation: card and face go on watch and reach the box.
    const responses: { data: Record<string, unknown> }[] = [];
    const client = await mqtt.connectAsync(gateway.mqttUrl, { protocolVersion: 4 });
    client.on("message", (_topic, payload) => responses.push(JSON.parse(payload.toString()) as (typeof responses)[number]));
    await client.subscribeAsync(boxTopic("responses", { site: "H-WATCH", box: "watch-chair" }), { qos: 1 });
    const kind = used.verification.outcome === "face_mismatch" ? "impersonation_suspected" : "spoof_suspected";
    const id = alertId(kind, [used.id]);
    await until(async () => (await gateway.store.alertCases().queryCases({ rule: "D2" }, { limit: 50 })).items.some((c) => c.id === id), "D2 case");
    await gateway.alerts.desk.act(id, { action: "acknowledge", reason: null, note: null }, "supervisor:wang");
    expect((await gateway.alerts.desk.act(id, { action: "confirm", reason: null, note: "relative used the card" }, "supervisor:wang")).result).toBe("applied");
    expect((await gateway.store.alertCases().watchList("H-WATCH")).map((e) => [e.cardRef, e.faceTemplateId])).toEqual([[refOf(holder), refOf(impostor)]]);
    await until(() => rig.log.some((e) => e.event === "command" && e.status === "ok"), "watch list taken");
    expect(JSON.parse(readFileSync(join(prepared.dir, "watch-list.json"), "utf8"))).toMatchObject({ cardRefs: [refOf(holder)], faceRefs: [refOf(impostor)] });
    await until(() => responses.length > 0, "answer to the push");
    expect(responses[0]?.data).toEqual({ entries: 1, faces: 1, facesHeld: 1 });
    await client.endAsync();

    // The impostor comes back with his own card: his face is watched, so staff must check, and W2.
    await rig.tap(impostor, (log) => log.filter((e) => e.event === "recorded").length === 2);
    expect(rig.screens.filter((screen) => screen.screen === "result").at(-1)).toMatchObject({ message: "staff_check_required" });
    await until(async () => (await storedEvents("watch-chair")).length === 2, "second stored");
    const again = (await storedEvents("watch-chair"))[1];
    expect(again?.subject.ref).toBe(refOf(impostor));
    expect(again?.verification).toMatchObject({ watchListedFace: true });
    expect(again?.verification).not.toHaveProperty("watchListed");
    await until(async () => (await gateway.store.alertCases().queryCases({ rule: "W2" }, { limit: 10 })).items.some((c) => c.id === alertId("watchlisted_face_presented", [again?.id ?? "?"])), "W2 raised");
    templates.close();
  });

  it("an enrolment at one box reaches the other box of the institution through the gateway (sealed), and the patient is recognised there", { timeout: 90_000 }, async () => {
    const institutionKey = { id: "tk-flows", key: randomBytes(32) };
    const sync = { site: "H-FLOWS-SYNC", mqttUrl: gateway.mqttUrl, httpUrl: gateway.httpUrl, templateKey: institutionKey, camera: { kind: "directory" as const, path: join(FACES_DIR, "Andre_Agassi"), fps: 15 } };
    const timing = { burstFrames: 4, burstTimeoutMs: 3000, enrolmentFrames: 5, enrolmentTimeoutMs: 5000, tickMs: 50, deliveryMs: 50, resultMs: 100 };
    const first = await prepareBox(join(dir, "sync-1"), gateway.store, { box: "sync-chair-1", ...sync });
    const firstTemplates = new TemplateStore(first.config.templates.path, institutionKey.key);
    const enrolling = await startInProcessAgent(first, { face: pipelineFaceCheckFactory(models, firstTemplates), templates: firstTemplates, timing });
    running.push(enrolling);
    const nurse = cardAt(first, 3);
    const patient = cardAt(first, 0);
    enrolling.agent.act({ action: "start_enrolment" });
    await enrolling.tap(nurse, (log) => log.some((e) => e.event === "screen" && e.screen.screen === "enrolment" && e.screen.step === "patient_card"));
    await enrolling.tap(patient, (log) => log.some((e) => e.event === "screen" && e.screen.screen === "enrolment" && (e.screen.step === "done" || e.screen.step === "failed")));
    await until(() => enrolling.log.some((e) => e.event === "template_sync" && e.direction === "upload"), "uploaded");
    expect(enrolling.log.find((e) => e.event === "template_sync" && e.direction === "upload")).toMatchObject({ problem: null });

    // A second box of the institution pulls it when it starts; the same card is then compared there.
    const second = await prepareBox(join(dir, "sync-2"), gateway.store, { box: "sync-chair-2", ...sync });
    const secondTemplates = new TemplateStore(second.config.templates.path, institutionKey.key);
    const other = await startInProcessAgent(second, { face: pipelineFaceCheckFactory(models, secondTemplates), templates: secondTemplates, timing });
    running.push(other);
    await until(() => other.log.some((e) => e.event === "template_sync" && e.direction === "pull"), "pulled");
    expect(other.log.find((e) => e.event === "template_sync" && e.direction === "pull")).toMatchObject({ imported: 1, skipped: 0, problem: null });
    expect(secondTemplates.get(refOf(patient), "dlib-resnet-v1@2")).toBeDefined();
    await other.tap(patient, (log) => log.some((e) => e.event === "recorded"));
    await until(async () => (await storedEvents("sync-chair-2")).length === 1, "stored");
    expect((await storedEvents("sync-chair-2"))[0]?.verification.face?.score).toBeLessThan(0.6);

    // The same face enrolled at the second box under another card: one face, two cards → E1 at the gateway.
    const otherCard = cardAt(second, 1);
    other.agent.act({ action: "start_enrolment" });
    await other.tap(cardAt(second, 3), (log) => log.some((e) => e.event === "screen" && e.screen.screen === "enrolment" && e.screen.step === "patient_card"));
    await other.tap(otherCard, (log) => log.some((e) => e.event === "screen" && e.screen.screen === "enrolment" && (e.screen.step === "done" || e.screen.step === "failed")));
    await until(async () => (await storedEvents("sync-chair-2")).some((e) => e.kind === "enrolment.face_enrolled"), "enrolment stored");
    const enrolment = (await storedEvents("sync-chair-2")).find((e) => e.kind === "enrolment.face_enrolled");
    expect(enrolment?.kind === "enrolment.face_enrolled" ? enrolment.enrolment.duplicateOf : null).toEqual([refOf(patient)]);
    const alerts = await gateway.store.queryAlerts({ kind: "duplicate_identity" }, { limit: 10 });
    expect(alerts.items.map((a) => [a.site, a.subjectRef])).toEqual([["H-FLOWS-SYNC", refOf(otherCard)]]);
    // The first box would see that enrolment at its next interval; the gateway's sync_templates brings it now.
    await until(() => other.log.some((e) => e.event === "template_sync" && e.direction === "upload" && e.problem === null), "second upload");
    const client = await mqtt.connectAsync(gateway.mqttUrl, { protocolVersion: 4 });
    const answers: { status: string; data: Record<string, unknown> }[] = [];
    client.on("message", (_topic, payload) => answers.push(JSON.parse(payload.toString()) as (typeof answers)[number]));
    await client.subscribeAsync(boxTopic("responses", { site: "H-FLOWS-SYNC", box: "sync-chair-1" }), { qos: 1 });
    const issuedAt = new Date();
    await client.publishAsync(
      boxTopic("commands", { site: "H-FLOWS-SYNC", box: "sync-chair-1" }),
      JSON.stringify({ v: 1, id: "0193b6a0-0000-7000-8000-0000000000b1", issuedAt: issuedAt.toISOString(), expiresAt: new Date(issuedAt.getTime() + 60_000).toISOString(), command: "sync_templates", args: {} }),
      { qos: 1 },
    );
    await until(() => answers.length > 0, "sync_templates answered");
    expect(answers[0]).toMatchObject({ status: "ok", data: { imported: 1, skipped: 0 } });
    expect(firstTemplates.get(refOf(otherCard), "dlib-resnet-v1@2")).toBeDefined();
    await client.endAsync();
    firstTemplates.close();
    secondTemplates.close();
  });
});
