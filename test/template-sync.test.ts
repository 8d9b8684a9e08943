import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOX_REQUEST_HEADERS, signBoxRequest } from "../protocol/index.js";
import type { BoxConfig } from "../firmware-config/box-config.js";
import { TemplateStore } from "../device/face/template-store.js";
import { loadBoxSecrets, type BoxSecrets } from "../device/provisioning/box-secrets.js";
import { provisionDevice } from "../device/provisioning/provision-device.js";
import { templateSyncClient, type TemplateSyncClient } from "../device/template-sync/template-sync-client.js";
import { pullTemplates, sealedTemplateOf, uploadEnrolment, type SyncScope } from "../device/template-sync/template-sync.js";
import { systemClock } from "../device/ports.js";
import type { RunningGateway } from "../gateway/gateway-service.js";
import { startProvisioningGateway } from "./fixtures/provisioning-gateway.js";
import { mintProvisioningToken } from "../gateway/provisioning/provisioning-tokens.js";

/**
 * Enrolment templates synchronised through a real gateway: boxes provisioned for real, a template
 * enrolled on one box reaches the other boxes of its institution sealed, and never another's.
 */
interface Box {
  readonly config: BoxConfig;
  readonly secrets: BoxSecrets;
  readonly store: TemplateStore;
  readonly client: TemplateSyncClient;
  readonly scope: SyncScope;
  readonly cursor: string;
}

const MODEL = "dlib-resnet-v1@2";
const person = (n: number): string => n.toString(16).padStart(64, "c");
const descriptor = (seed: number): Float32Array => Float32Array.from({ length: 128 }, (_, i) => Math.cos(seed * 17 + i) * 0.3);

let dir: string;
let gateway: RunningGateway;
const boxes: Record<"a1" | "a2" | "b1", Box> = {} as Record<"a1" | "a2" | "b1", Box>;

async function provision(name: "a1" | "a2" | "b1", site: string): Promise<Box> {
  const { token } = await mintProvisioningToken(gateway.store, { box: `sync-${name}`, site, role: "dialysis_station", location: name, mqttUrl: gateway.mqttUrl, replaceKey: false, createdBy: "test" });
  const boxDir = join(dir, name);
  const { config } = await provisionDevice({ gatewayUrl: gateway.httpUrl, token, dir: boxDir, agentVersion: null });
  const secrets = loadBoxSecrets(config);
  const store = new TemplateStore(config.templates.path, secrets.templateKey);
  const client = templateSyncClient({ gatewayUrl: gateway.httpUrl, box: config.box.id, signingKey: secrets.signingKey, clock: systemClock });
  return { config, secrets, store, client, scope: { site, box: config.box.id, templateKeyId: config.keys.templateKeyId ?? "" }, cursor: join(boxDir, "template-sync.json") };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-template-sync-"));
  gateway = await startProvisioningGateway(dir, randomBytes(32));
  boxes.a1 = await provision("a1", "H-SYNC-A");
  boxes.a2 = await provision("a2", "H-SYNC-A");
  boxes.b1 = await provision("b1", "H-SYNC-B");
});

afterAll(async () => {
  for (const box of Object.values(boxes)) box.store.close();
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("template sync through the gateway", () => {
  it("a template enrolled on one box reaches the other box of its institution, and not a box of another", async () => {
    const { a1, a2, b1 } = boxes;
    a1.store.put({ personRef: person(1), model: MODEL, descriptor: descriptor(1), frames: 5, enrolledAt: Date.parse("2026-11-25T08:00:00Z") });
    expect(await uploadEnrolment(a1.client, a1.store, a1.scope, person(1), MODEL)).toMatchObject({ ok: true, value: { result: "stored", seq: 1 } });
    expect(await uploadEnrolment(a1.client, a1.store, a1.scope, person(1), MODEL)).toMatchObject({ ok: true, value: { result: "duplicate", seq: 1 } });

    expect(await pullTemplates(a2.client, a2.store, a2.scope, a2.cursor)).toMatchObject({ imported: 1, skipped: [], after: 1, problem: null });
    expect(Array.from(a2.store.get(person(1), MODEL)?.descriptor ?? [])).toEqual(Array.from(descriptor(1)));
    // Pulled again: nothing new after the cursor.
    expect(await pullTemplates(a2.client, a2.store, a2.scope, a2.cursor)).toMatchObject({ imported: 0, after: 1 });

    expect(await pullTemplates(b1.client, b1.store, b1.scope, b1.cursor)).toMatchObject({ imported: 0, skipped: [], after: 0 });
    expect(b1.store.get(person(1), MODEL)).toBeUndefined();
    // The enrolling box gets its own template back and keeps it as it is.
    expect(await pullTemplates(a1.client, a1.store, a1.scope, a1.cursor)).toMatchObject({ imported: 0, unchanged: 1 });
  });

  it("a template of another model version arrives beside the first and is never returned for it", async () => {
    const { a1, a2 } = boxes;
    a1.store.put({ personRef: person(2), model: MODEL, descriptor: descriptor(2), frames: 5, enrolledAt: 1000 });
    a1.store.put({ personRef: person(2), model: "dlib-resnet-v1@3", descriptor: descriptor(20), frames: 5, enrolledAt: 2000 });
    await uploadEnrolment(a1.client, a1.store, a1.scope, person(2), MODEL);
    await uploadEnrolment(a1.client, a1.store, a1.scope, person(2), "dlib-resnet-v1@3");
    expect(await pullTemplates(a2.client, a2.store, a2.scope, a2.cursor)).toMatchObject({ imported: 2 });
    expect(Array.from(a2.store.get(person(2), MODEL)?.descriptor ?? [])).toEqual(Array.from(descriptor(2)));
    expect(Array.from(a2.store.get(person(2), "dlib-resnet-v1@3")?.descriptor ?? [])).toEqual(Array.from(descriptor(20)));
    expect(a2.store.all(MODEL).map((t) => t.model)).toEqual([MODEL, MODEL]);
  });

  it("a damaged or foreign-key template is skipped with its reason and the good one beside it lands", async () => {
    const { a1, a2 } = boxes;
    a1.store.put({ personRef: person(3), model: MODEL, descriptor: descriptor(3), frames: 5, enrolledAt: 3000 });
    a1.store.put({ personRef: person(4), model: MODEL, descriptor: descriptor(4), frames: 5, enrolledAt: 3000 });
    const sealed3 = a1.store.sealed(person(3), MODEL);
    if (sealed3 === undefined) throw new Error("no sealed template");
    const damaged = sealedTemplateOf({ ...sealed3, ciphertext: Buffer.from(sealed3.ciphertext).fill(7) }, a1.scope);
    expect(await a1.client.upload(damaged)).toMatchObject({ ok: true });
    expect(await a1.client.upload({ ...sealedTemplateOf(sealed3, a1.scope), keyId: "tk-rotated" })).toMatchObject({ ok: true });
    await uploadEnrolment(a1.client, a1.store, a1.scope, person(4), MODEL);
    const report = await pullTemplates(a2.client, a2.store, a2.scope, a2.cursor);
    expect(report).toMatchObject({ imported: 1, problem: null });
    expect(report.skipped.map((s) => s.reason).sort()).toEqual(["does_not_open", "other_key"]);
    expect(a2.store.get(person(3), MODEL)).toBeUndefined();
    expect(a2.store.get(person(4), MODEL)).toBeDefined();
  });

  it("refuses an unsigned request, a forged signature, a stale one, and an upload naming another institution", async () => {
    const { a1, b1 } = boxes;
    const unsigned = await fetch(new URL("/box/v1/templates", gateway.httpUrl));
    expect(unsigned.status).toBe(401);
    const path = "/box/v1/templates?after=0&limit=10";
    const forged = signBoxRequest({ method: "GET", path, box: a1.config.box.id, at: Date.now(), body: Buffer.alloc(0) }, b1.secrets.signingKey);
    expect((await fetch(new URL(path, gateway.httpUrl), { headers: forged })).status).toBe(401);
    const stale = signBoxRequest({ method: "GET", path, box: a1.config.box.id, at: Date.now() - 3_600_000, body: Buffer.alloc(0) }, a1.secrets.signingKey);
    const staleAnswer = await fetch(new URL(path, gateway.httpUrl), { headers: stale });
    expect(staleAnswer.status).toBe(401);
    expect(await staleAnswer.text()).toContain("clock");
    expect(forged[BOX_REQUEST_HEADERS.box]).toBe(a1.config.box.id);

    b1.store.put({ personRef: person(5), model: MODEL, descriptor: descriptor(5), frames: 5, enrolledAt: 5000 });
    const row = b1.store.sealed(person(5), MODEL);
    if (row === undefined) throw new Error("no sealed template");
    expect(await b1.client.upload({ ...sealedTemplateOf(row, b1.scope), site: "H-SYNC-A" })).toMatchObject({ ok: false, problem: "refused", detail: expect.stringContaining("other_site") as string });
    expect(await a1.client.upload({ ...sealedTemplateOf(row, b1.scope), site: "H-SYNC-A" })).toMatchObject({ ok: false, detail: expect.stringContaining("other_box") as string });
  });
});
