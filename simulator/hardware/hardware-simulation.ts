import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RosterEntry } from "../../firmware-config/box-settings.js";
import type { KioskScreen } from "../../device/ports.js";
import { keyIdOf, maskIdNumber, personRef, rawPublicKey } from "../../protocol/index.js";
import { FaceLibrary } from "../camera/face-library.js";
import { VirtualCamera, type CameraScene } from "../camera/virtual-camera.js";
import { SeededRandom } from "../fleet/seeded-random.js";
import { openPtyPair, type PtyPair } from "../idcard/pty-pair.js";
import { attachVirtualReaderToPort, type ReaderPortTransport } from "../idcard/serial-port-transport.js";
import { virtualCard, type VirtualCard } from "../idcard/virtual-cards.js";
import { VirtualReader } from "../idcard/virtual-reader.js";
import type { SimulatedBoxHandle, StartSimulatedBox } from "./box-runtime.js";
import type { ExpectedOutcome, RecordedEvent, TruthEntry, TruthKind } from "./ground-truth.js";
import { openNetworkLink, type NetworkLink } from "./network-link.js";
import { minutesOf, type Look, type Scenario, type ScenarioStep } from "./scenario.js";
import { SimulationClock } from "./simulation-clock.js";

/**
 * Runs a scenario on real box agents: each box gets a virtual ID-card reader on a socat
 * pseudo-terminal (the agent opens the other end as its serial port), a virtual camera that films
 * what the step puts in front of it, and a TCP link to the broker the scenario can cut. People act
 * as people do: cards go on the reader, touches go to the box's kiosk page over HTTP, faces appear
 * before the camera (and follow the kiosk's blink or turn request). The truth of each step is
 * written as it happens, with the events the box recorded during it.
 */
export interface HardwareSimulationOptions {
  readonly scenario: Scenario;
  readonly faces: FaceLibrary;
  /** The broker the gateway listens on; each box reaches it through its own cuttable link. */
  readonly brokerUrl: string;
  /** Registers a box's public key with the gateway (store or REST API). */
  readonly registerBox: (box: { box: string; site: string; role: "dialysis_station" | "ward_round"; location: string; publicKey: string; keyId: string }) => Promise<void>;
  readonly startBox: StartSimulatedBox;
  /** Scratch folder for the boxes' files and pseudo-terminals. */
  readonly workDir: string;
  /** First kiosk port (boxes take consecutive ports); 0: any free ports. */
  readonly kioskPort: number;
  readonly log?: (line: string) => void;
  /** Most time a step may take before it is recorded as missing (real milliseconds). */
  readonly stepTimeoutMs?: number;
  /** A pause before each step (real milliseconds), so a person can follow the kiosk pages. */
  readonly paceMs?: number;
}

export interface RunningHardwareSimulation {
  readonly boxes: readonly { readonly id: string; readonly kioskUrl: string }[];
  readonly truth: readonly TruthEntry[];
  readonly simulatedStart: string;
  readonly pseudonymKeyHex: string;
  /** Runs the timeline; resolves when every step is done and every box's outbox is empty (or the wait gave up). */
  run(): Promise<{ readonly drained: boolean }>;
  stop(): Promise<void>;
}

interface SimBox {
  readonly id: string;
  readonly role: "dialysis_station" | "ward_round";
  readonly location: string;
  readonly camera: VirtualCamera;
  readonly reader: VirtualReader;
  readonly link: NetworkLink;
  readonly ptyDir: string;
  pair: PtyPair | null;
  transport: ReaderPortTransport | null;
  handle: SimulatedBoxHandle | null;
  readonly screens: KioskScreen[];
  readonly recorded: RecordedEvent[];
  cameraStopped: boolean;
}

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Day 0, 00:00 China time, far enough back that the whole timeline lies in the past. */
export function scenarioDayZero(scenario: Scenario, now = Date.now()): number {
  const lastDay = Math.max(...scenario.timeline.map((s) => s.day));
  const todayChina = Math.floor((now + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS;
  return todayChina - (lastDay + 1) * DAY_MS - CHINA_OFFSET_MS;
}

export function stepTime(dayZero: number, step: Pick<ScenarioStep, "day" | "at">): number {
  return dayZero + step.day * DAY_MS + minutesOf(step.at) * 60_000;
}

export async function prepareHardwareSimulation(options: HardwareSimulationOptions): Promise<RunningHardwareSimulation> {
  const { scenario, faces } = options;
  const log = options.log ?? (() => undefined);
  const random = SeededRandom.fromSeed(`hardware-scenario/${scenario.seed}`);
  const pseudonymKey = createHash("sha256").update(`carewitness scenario pseudonym key/${scenario.seed}`).digest();
  const pseudonymKeyId = "pk-sim";
  const cards = new Map<string, VirtualCard>(scenario.people.map((p) => [p.id, virtualCard(random.fork(p.id), "resident_id")]));
  const cardOf = (person: string): VirtualCard => {
    const card = cards.get(person);
    if (card === undefined) throw new Error(`no card for ${person}`);
    return card;
  };
  const refOf = (person: string): string => personRef(cardOf(person).card.idNumber, pseudonymKey);
  const faceOf = (person: string): string | undefined => scenario.people.find((p) => p.id === person)?.face;
  const dayZero = scenarioDayZero(scenario);
  const clock = new SimulationClock(stepTime(dayZero, scenario.timeline[0] ?? { day: 0, at: "00:00" }) - 60_000);
  const boxes = new Map<string, SimBox>();
  const truth: TruthEntry[] = [];
  const stepTimeoutMs = options.stepTimeoutMs ?? 30_000;

  const plug = async (box: SimBox): Promise<void> => {
    box.pair = await openPtyPair({ dir: box.ptyDir });
    box.transport = attachVirtualReaderToPort(box.reader, { path: box.pair.readerPath });
    await box.transport.ready;
  };
  const unplug = async (box: SimBox): Promise<void> => {
    await box.transport?.close();
    await box.pair?.close();
    box.transport = null;
    box.pair = null;
  };

  let index = 0;
  for (const spec of scenario.boxes) {
    const dir = join(options.workDir, spec.id);
    const ptyDir = join(dir, "pty");
    mkdirSync(ptyDir, { recursive: true });
    const camera = new VirtualCamera({ faces, clock, seed: `${scenario.seed}/${spec.id}`, stallAfterMs: 0 });
    const box: SimBox = { id: spec.id, role: spec.role, location: spec.location, camera, reader: new VirtualReader(), link: await openNetworkLink(options.brokerUrl), ptyDir, pair: null, transport: null, handle: null, screens: [], recorded: [], cameraStopped: false };
    await plug(box);
    const { privateKey } = generateKeyPairSync("ed25519");
    const publicKey = createPublicKey(privateKey);
    await options.registerBox({ box: spec.id, site: scenario.site, role: spec.role, location: spec.location, publicKey: rawPublicKey(publicKey), keyId: keyIdOf(publicKey) });
    const roster: RosterEntry[] = spec.beds.map((bed) => ({
      ward: spec.location,
      bed: bed.bed,
      ...(bed.patient === null ? {} : { occupant: { ref: refOf(bed.patient), refKey: pseudonymKeyId, masked: maskIdNumber(cardOf(bed.patient).card.idNumber) } }),
    }));
    box.handle = await options.startBox({
      id: spec.id,
      site: scenario.site,
      role: spec.role,
      location: spec.location,
      dir,
      mqttUrl: box.link.url,
      readerPath: box.pair?.hostPath ?? join(ptyDir, "host"),
      camera,
      roster,
      nightExposure: spec.nightExposure,
      signingKey: privateKey,
      pseudonymKey,
      pseudonymKeyId,
      clock,
      kioskPort: options.kioskPort === 0 ? 0 : options.kioskPort + index,
      onScreen: (screen) => {
        box.screens.push(screen);
        if (screen.screen === "challenge") camera.respondTo(screen.challenge);
        else if (screen.screen === "coaching") camera.followCoaching(screen.prompt);
      },
      onRecorded: (entry) => box.recorded.push(entry),
      onProblem: (detail) => log(`${spec.id}: ${detail}`),
    });
    index++;
    boxes.set(spec.id, box);
  }
  for (const person of scenario.people) {
    const face = person.face;
    if (face === undefined) continue;
    for (const at of person.enrolledAt) {
      const photos = [0, 1, 2, 3].map((i) => faces.photo(face, i));
      await boxes.get(at)?.handle?.enrol(refOf(person.id), photos);
    }
  }

  const boxOf = (id: string): SimBox => {
    const box = boxes.get(id);
    if (box === undefined) throw new Error(`no box ${id}`);
    return box;
  };

  const touch = async (box: SimBox, body: object): Promise<void> => {
    const url = box.handle?.kioskUrl;
    if (url === undefined) return;
    const answer = await fetch(new URL("api/touch", url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (answer.status !== 202) log(`${box.id}: touch ${JSON.stringify(body)} answered ${answer.status}`);
  };

  /** Waits until a screen after `mark` satisfies `done`; false on timeout. */
  const waitScreen = async (box: SimBox, mark: number, done: (screen: KioskScreen) => boolean, timeoutMs = stepTimeoutMs): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (box.screens.slice(mark).some(done)) return true;
      await sleep(25);
    }
    return false;
  };
  const waitRecorded = async (box: SimBox, mark: number, timeoutMs = stepTimeoutMs): Promise<RecordedEvent[]> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && box.recorded.length <= mark) await sleep(25);
    // A little longer, so the result screen follows and nothing of this step spills into the next.
    await sleep(100);
    return box.recorded.slice(mark);
  };
  const atRest = (screen: KioskScreen): boolean => screen.screen === "idle" || screen.screen === "pick_bed";
  /** Lifts the card and lets the reader's poll notice before the next card. */
  const lift = async (box: SimBox): Promise<void> => {
    box.reader.removeCard();
    await sleep(450);
  };

  const lookScene = (identity: string, look: Look | undefined): CameraScene => ({
    kind: "person",
    identity,
    photo: look?.photo ?? 4,
    ...(look === undefined ? {} : { light: look.light, distance: look.distance, pose: { rollDeg: look.rollDeg, offsetX: look.offsetX, offsetY: look.offsetY } }),
  });

  const conditionsOf = (box: SimBox): string[] => [
    ...(box.link.isUp ? [] : ["box offline"]),
    ...(box.cameraStopped ? ["camera stopped"] : []),
    ...(box.pair === null ? ["reader unplugged"] : []),
  ];

  /** Enrolments made during the scenario, through the kiosk's nurse-supervised flow (`person@box`). */
  const enrolledHere = new Set<string>();
  const enrolledAt = (person: string, box: string): boolean => enrolledHere.has(`${person}@${box}`) || (scenario.people.find((p) => p.id === person)?.enrolledAt.includes(box) ?? false);

  const entry = (step: number, s: ScenarioStep, box: SimBox, fields: { what: TruthKind; action: string; cardOf: string | null; truePerson: string | null; subjectRef: string | null; bed: string | null; expected: ExpectedOutcome; recorded: RecordedEvent[] }): void => {
    truth.push({ step, at: new Date(clock.now()).toISOString(), box: box.id, conditions: conditionsOf(box), note: s.note ?? null, ...fields });
  };

  async function runCheck(i: number, s: Extract<ScenarioStep, { do: "check" }>, box: SimBox): Promise<void> {
    const truePerson = s.attack !== undefined ? null : s.face === undefined ? s.card : s.face;
    const what: TruthKind = s.attack !== undefined ? "presentation_attack" : truePerson === null ? "nobody_at_camera" : truePerson === s.card ? "genuine" : "impersonation";
    let expected: ExpectedOutcome = what === "genuine" ? "verified" : "rejected";
    if (box.pair === null) expected = "no_event";
    else if (box.cameraStopped || !enrolledAt(s.card, box.id)) expected = "card_only";
    if (s.attack !== undefined) box.camera.show({ kind: "attack", attack: s.attack.kind, identity: faceOf(s.attack.of) ?? "", photo: 4 });
    else if (truePerson === null) box.camera.show({ kind: "empty" });
    else box.camera.show(lookScene(faceOf(truePerson) ?? "", s.look));
    const mark = box.recorded.length;
    box.reader.placeCard(cardOf(s.card));
    const recorded = expected === "no_event" ? (await sleep(2500), box.recorded.slice(mark)) : await waitRecorded(box, mark);
    await lift(box);
    box.camera.show({ kind: "empty" });
    entry(i, s, box, { what, action: "check", cardOf: s.card, truePerson, subjectRef: refOf(s.card), bed: null, expected, recorded });
  }

  async function runAttest(i: number, s: Extract<ScenarioStep, { do: "attest" }>, box: SimBox): Promise<void> {
    let mark = box.screens.length;
    const recordedMark = box.recorded.length;
    await touch(box, { action: "start_attestation" });
    await waitScreen(box, mark, (sc) => sc.screen === "nurse_card", 5000);
    mark = box.screens.length;
    box.reader.placeCard(cardOf(s.nurse));
    await waitScreen(box, mark, (sc) => sc.screen === "place_card", 5000);
    await lift(box);
    mark = box.screens.length;
    box.reader.placeCard(cardOf(s.patient));
    await waitScreen(box, mark, (sc) => sc.screen === "attestation" && sc.step === "choose_reason", 5000);
    await touch(box, { action: "choose_reason", reason: s.reason });
    const recorded = await waitRecorded(box, recordedMark);
    await lift(box);
    entry(i, s, box, { what: "attestation", action: `attest (${s.reason}) by ${s.nurse}`, cardOf: s.patient, truePerson: s.patient, subjectRef: refOf(s.patient), bed: null, expected: "attested", recorded });
  }

  async function runEnrol(i: number, s: Extract<ScenarioStep, { do: "enrol" }>, box: SimBox): Promise<void> {
    const recordedMark = box.recorded.length;
    let mark = box.screens.length;
    await touch(box, { action: "start_enrolment" });
    await waitScreen(box, mark, (sc) => sc.screen === "nurse_card", 5000);
    mark = box.screens.length;
    box.reader.placeCard(cardOf(s.nurse));
    await waitScreen(box, mark, (sc) => sc.screen === "enrolment" && sc.step === "patient_card", 5000);
    await lift(box);
    // Enrolment films photo 0 unless the step says otherwise; checks film photo 4.
    const scene = lookScene(faceOf(s.patient) ?? "", s.look);
    box.camera.show(scene.kind === "person" ? { ...scene, photo: s.look?.photo ?? 0 } : scene);
    mark = box.screens.length;
    box.reader.placeCard(cardOf(s.patient));
    await waitScreen(box, mark, (sc) => sc.screen === "enrolment" && (sc.step === "done" || sc.step === "failed"));
    const result = box.screens.slice(mark).find((sc) => sc.screen === "enrolment" && (sc.step === "done" || sc.step === "failed"));
    const done = result?.screen === "enrolment" && result.step === "done";
    if (done) enrolledHere.add(`${s.patient}@${box.id}`);
    await lift(box);
    box.camera.show({ kind: "empty" });
    const outcome = result?.screen === "enrolment" ? `${result.step}${result.problem === undefined ? "" : ` (${result.problem})`}` : "no answer";
    entry(i, s, box, { what: "enrolment", action: `enrol by ${s.nurse}: ${outcome}`, cardOf: s.patient, truePerson: s.patient, subjectRef: refOf(s.patient), bed: null, expected: "enrolled", recorded: box.recorded.slice(recordedMark) });
  }

  async function runRound(i: number, s: Extract<ScenarioStep, { do: "round" }>, box: SimBox): Promise<void> {
    let mark = box.screens.length;
    await touch(box, { action: "start_round", role: s.role });
    await waitScreen(box, mark, (sc) => sc.screen === "place_card", 5000);
    mark = box.screens.length;
    box.reader.placeCard(cardOf(s.operator));
    await waitScreen(box, mark, (sc) => sc.screen === "pick_bed", 5000);
    await lift(box);
    const rosterBed = (bed: string): string | null => scenario.boxes.find((b) => b.id === box.id)?.beds.find((b) => b.bed === bed)?.patient ?? null;
    for (const bed of s.beds) {
      mark = box.screens.length;
      const recordedMark = box.recorded.length;
      await touch(box, { action: "pick_bed", ward: box.location, bed: bed.bed });
      await waitScreen(box, mark, (sc) => sc.screen === "place_card", 5000);
      const occupant = rosterBed(bed.bed);
      if (bed.present === null) {
        await touch(box, { action: "patient_absent" });
        const recorded = await waitRecorded(box, recordedMark);
        entry(i, s, box, { what: "patient_absent", action: `round by ${s.operator}`, cardOf: null, truePerson: null, subjectRef: occupant === null ? null : refOf(occupant), bed: bed.bed, expected: "absent", recorded });
      } else {
        box.camera.show(lookScene(faceOf(bed.present) ?? "", bed.look));
        box.reader.placeCard(cardOf(bed.present));
        const expected: ExpectedOutcome = box.cameraStopped || !enrolledAt(bed.present, box.id) ? "card_only" : "verified";
        const recorded = await waitRecorded(box, recordedMark);
        await lift(box);
        box.camera.show({ kind: "empty" });
        entry(i, s, box, { what: "genuine", action: `round by ${s.operator}`, cardOf: bed.present, truePerson: bed.present, subjectRef: refOf(bed.present), bed: bed.bed, expected, recorded });
      }
      await waitScreen(box, mark, (sc) => sc.screen === "pick_bed", 8000);
    }
    await touch(box, { action: "end_round" });
    await waitScreen(box, box.screens.length - 1, atRest, 3000);
  }

  async function runFault(i: number, s: Extract<ScenarioStep, { do: "network_down" | "network_up" | "unplug_reader" | "replug_reader" | "camera_stops" | "camera_resumes" }>, box: SimBox): Promise<void> {
    switch (s.do) {
      case "network_down":
        box.link.cut();
        break;
      case "network_up":
        box.link.restore();
        break;
      case "unplug_reader":
        await unplug(box);
        break;
      case "replug_reader":
        if (box.pair === null) await plug(box);
        break;
      case "camera_stops":
        box.cameraStopped = true;
        box.camera.stall();
        break;
      case "camera_resumes":
        box.cameraStopped = false;
        box.camera.resume();
        break;
    }
    entry(i, s, box, { what: "fault", action: s.do, cardOf: null, truePerson: null, subjectRef: null, bed: null, expected: "no_event", recorded: [] });
  }

  const stopAll = async (): Promise<void> => {
    for (const box of boxes.values()) {
      await box.handle?.stop();
      await unplug(box);
      await box.link.close();
    }
  };

  return {
    boxes: [...boxes.values()].map((b) => ({ id: b.id, kioskUrl: b.handle?.kioskUrl ?? "" })),
    truth,
    simulatedStart: new Date(dayZero).toISOString(),
    pseudonymKeyHex: pseudonymKey.toString("hex"),
    async run() {
      for (const [i, s] of scenario.timeline.entries()) {
        if ((options.paceMs ?? 0) > 0) await sleep(options.paceMs ?? 0);
        clock.jumpTo(stepTime(dayZero, s));
        const box = boxOf(s.box);
        log(`day ${s.day} ${s.at} ${s.box}: ${s.do}${s.note === undefined ? "" : ` (${s.note})`}`);
        switch (s.do) {
          case "check":
            await runCheck(i, s, box);
            break;
          case "attest":
            await runAttest(i, s, box);
            break;
          case "round":
            await runRound(i, s, box);
            break;
          case "enrol":
            await runEnrol(i, s, box);
            break;
          default:
            await runFault(i, s, box);
        }
      }
      for (const box of boxes.values()) box.link.restore();
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && [...boxes.values()].some((b) => (b.handle?.backlog() ?? 0) > 0)) await sleep(100);
      return { drained: [...boxes.values()].every((b) => (b.handle?.backlog() ?? 0) === 0) };
    },
    stop: stopAll,
  };
}
