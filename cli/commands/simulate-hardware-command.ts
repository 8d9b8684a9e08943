import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { startGateway, type RunningGateway } from "../../gateway/gateway-service.js";
import { newApiToken } from "../../gateway/http/api-auth.js";
import { EventMessage } from "../../protocol/index.js";
import { FaceLibrary, FaceLibraryError } from "../../simulator/camera/face-library.js";
import { formatTruth, scoreTruth, type StoredEventView, type TruthScore } from "../../simulator/hardware/ground-truth.js";
import { prepareHardwareSimulation } from "../../simulator/hardware/hardware-simulation.js";
import { readScenario, ScenarioError } from "../../simulator/hardware/scenario.js";
import { stderrLog } from "../cli-log.js";
import { waitForSignal } from "./gateway-command.js";

/**
 * `carewitness simulate --hardware --scenario FILE`: real box agents on virtual hardware, against
 * an embedded gateway (default) or an external one, with each box's kiosk page served locally.
 */
export interface HardwareSimulateFlags {
  scenario?: string;
  faces?: string;
  gatewayMqtt: string;
  gatewayUrl: string;
  token?: string;
  kioskPort: number;
  httpPort: number;
  embeddedPort: number;
  db: string;
  truthOut: string;
  paceMs: number;
  exit?: boolean;
  json?: boolean;
}

async function registerOverRest(gatewayUrl: string, token: string | undefined, box: { box: string; site: string; role: string; location: string; publicKey: string }): Promise<void> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const body = JSON.stringify({ box: box.box, site: box.site, role: box.role, location: box.location, publicKey: box.publicKey });
  // Each run makes new box keys: an admin token may replace the key of a box registered by an earlier run.
  const answer = await fetch(`${gatewayUrl.replace(/\/+$/, "")}/api/v1/devices?replaceKey=true`, { method: "POST", headers, body });
  if (answer.status !== 201 && answer.status !== 200) throw new Error(`registering ${box.box} at ${gatewayUrl}: HTTP ${answer.status} ${(await answer.text()).slice(0, 200)}`);
}

async function eventsOverRest(gatewayUrl: string, token: string | undefined, box: string): Promise<readonly unknown[]> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const answer = await fetch(`${gatewayUrl.replace(/\/+$/, "")}/api/v1/events?box=${encodeURIComponent(box)}&limit=500`, { headers });
  if (!answer.ok) throw new Error(`events of ${box}: HTTP ${answer.status}`);
  // The REST API answers `{items: [{event, receivedAt, gatewayId}], ...}`: the event as signed.
  const page = (await answer.json()) as { items?: { event?: unknown }[] };
  return (page.items ?? []).map((item) => item.event);
}

function viewOf(body: unknown): StoredEventView | null {
  const parsed = EventMessage.safeParse(typeof body === "string" ? JSON.parse(body) : body);
  if (!parsed.success) return null;
  const e = parsed.data;
  return { id: e.id, box: e.box, kind: e.kind, outcome: e.verification.outcome, subjectRef: e.subject.ref };
}

/** Where the scenario's boxes send their events, and how to register them and read the events back. */
export interface ScenarioGateway {
  readonly brokerUrl: string;
  readonly httpUrl: string;
  readonly token: string | undefined;
  register(box: { box: string; site: string; role: "dialysis_station" | "ward_round"; location: string; publicKey: string; keyId: string }): Promise<void>;
  /** Stored event bodies of one box. */
  events(box: string): Promise<readonly unknown[]>;
}

/** A gateway in this process: register and read through its store. */
export function inProcessGateway(gateway: RunningGateway, token: string | undefined): ScenarioGateway {
  return {
    brokerUrl: gateway.mqttUrl,
    httpUrl: gateway.httpUrl,
    token,
    register: async (box) => {
      await gateway.store.registerDevice(box);
    },
    events: async (box) => (await gateway.store.queryEvents({ box }, { limit: 500 })).items.map((r) => r.body),
  };
}

export interface ScenarioRunOptions {
  readonly scenarioFile: string;
  readonly facesDir: string;
  readonly gateway: ScenarioGateway;
  readonly kioskPort: number;
  readonly paceMs: number;
  readonly truthOut: string;
  readonly json: boolean;
}

/**
 * Runs one scenario file against a gateway and prints where to look and what truly happened.
 * Returns null (exit code 2 set) when the scenario file is refused; otherwise a stop function for
 * the boxes, whose kiosk pages keep serving until it is called.
 */
export async function runScenarioFile(options: ScenarioRunOptions): Promise<{ drained: boolean; stop: () => Promise<void> } | null> {
  let scenario;
  try {
    scenario = readScenario(options.scenarioFile);
  } catch (error) {
    if (error instanceof ScenarioError) {
      process.stderr.write(`scenario refused: ${error.file} (${error.code})\n${error.problems.map((p) => `  ${p}`).join("\n")}\n`);
      process.exitCode = 2;
      return null;
    }
    throw error;
  }
  let faces: FaceLibrary;
  try {
    faces = new FaceLibrary(options.facesDir);
    for (const person of scenario.people) if (person.face !== undefined) faces.photos(person.face);
  } catch (error) {
    if (error instanceof FaceLibraryError) {
      process.stderr.write(`face folder refused: ${error.code}: ${error.message}\n`);
      process.exitCode = 2;
      return null;
    }
    throw error;
  }
  const { gateway } = options;
  const workDir = mkdtempSync(join(tmpdir(), "carewitness-sim-hw-"));
  // Loaded only here: the face models and the agent are not needed by the fleet simulation or the plain demo.
  const { hardwareBoxRuntime } = await import("./hardware-box-runtime.js");
  const runtime = await hardwareBoxRuntime();
  const simulation = await prepareHardwareSimulation({
    scenario,
    faces,
    brokerUrl: gateway.brokerUrl,
    registerBox: (box) => gateway.register(box),
    startBox: runtime.startBox,
    workDir,
    kioskPort: options.kioskPort,
    paceMs: options.paceMs,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const auth = gateway.token === undefined ? "" : `-H 'authorization: Bearer ${gateway.token}' `;
  process.stdout.write(
    [
      `Scenario ${scenario.name}: ${scenario.boxes.length} boxes at ${scenario.site}, ${scenario.timeline.length} steps, simulated from ${simulation.simulatedStart}`,
      "Kiosk pages (open them in a browser to watch the boxes):",
      ...simulation.boxes.map((b) => `  ${b.id.padEnd(14)} ${b.kioskUrl}`),
      `Gateway: ${gateway.httpUrl}  MQTT: ${gateway.brokerUrl}`,
      `  events  curl ${auth}'${gateway.httpUrl}/api/v1/events?site=${scenario.site}&limit=20'`,
      `  boxes   curl ${auth}'${gateway.httpUrl}/api/v1/devices?site=${scenario.site}'`,
      "",
    ].join("\n"),
  );
  const { drained } = await simulation.run();
  const stored: StoredEventView[] = [];
  for (const box of scenario.boxes) {
    const bodies = await gateway.events(box.id).catch((error: unknown) => {
      process.stderr.write(`could not read the events of ${box.id}: ${String(error)}\n`);
      return [];
    });
    for (const body of bodies) {
      const view = viewOf(body);
      if (view !== null) stored.push(view);
    }
  }
  const score: TruthScore = scoreTruth(simulation.truth, stored);
  const report = { scenario: scenario.name, site: scenario.site, simulatedStart: simulation.simulatedStart, drained, boxes: simulation.boxes, truth: simulation.truth, score };
  mkdirSync(dirname(options.truthOut), { recursive: true });
  writeFileSync(options.truthOut, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nWhat truly happened (written to ${options.truthOut}):\n${formatTruth(simulation.truth, score)}\n${drained ? "" : "Some events were still in a box's outbox when the wait ended.\n"}`);
  if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return {
    drained,
    async stop() {
      await simulation.stop();
      await runtime.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

export async function runHardwareSimulate(flags: HardwareSimulateFlags): Promise<void> {
  if (flags.scenario === undefined) throw new Error("--hardware needs --scenario FILE");
  if (flags.faces === undefined) throw new Error("--hardware needs --faces DIR (a folder of face photos, one sub-folder per person; or CAREWITNESS_FACES_DIR)");
  let gateway: RunningGateway | null = null;
  let target: ScenarioGateway;
  if (flags.gatewayMqtt === "embedded") {
    mkdirSync(dirname(flags.db), { recursive: true });
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${flags.db}${suffix}`, { force: true });
    gateway = await startGateway({ gatewayId: "simulate-hardware", store: { kind: "sqlite", path: flags.db }, mqtt: { url: null, embeddedPort: flags.embeddedPort }, http: { port: flags.httpPort } }, stderrLog(true));
    const created = newApiToken();
    await gateway.store.createApiToken({ name: "simulate --hardware", role: "admin", site: null, tokenHash: created.tokenHash, createdAt: Date.now() });
    target = inProcessGateway(gateway, created.token);
  } else {
    const { gatewayUrl, token } = flags;
    target = {
      brokerUrl: flags.gatewayMqtt,
      httpUrl: gatewayUrl,
      token,
      register: (box) => registerOverRest(gatewayUrl, token, box),
      events: (box) => eventsOverRest(gatewayUrl, token, box),
    };
  }
  const run = await runScenarioFile({ scenarioFile: flags.scenario, facesDir: flags.faces, gateway: target, kioskPort: flags.kioskPort, paceMs: flags.paceMs, truthOut: flags.truthOut, json: flags.json === true });
  if (run !== null && flags.exit !== true) {
    process.stdout.write("Kiosk pages and the gateway keep serving; Ctrl-C stops.\n");
    await waitForSignal();
  }
  await run?.stop();
  await gateway?.close();
  if (run !== null && !run.drained) process.exitCode = 2;
}
