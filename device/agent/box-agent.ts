import { randomInt, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BoxConfig } from "../../firmware-config/box-config.js";
import { applyBoxConfig } from "../../firmware-config/box-config-apply.js";
import { boxTopic, EventMessage, type CommandMessage, type CommandResponseMessage } from "../../protocol/index.js";
import { frameSourceFor } from "../camera/camera-source.js";
import { applyConfigPush } from "../config/remote-config.js";
import { pickChallenge } from "../face/liveness-challenge.js";
import { homeScreen, initialFlowState, stepFlow, type FlowSettings, type FlowState } from "../flows/box-flow.js";
import type { FlowCard, FlowEffect, FlowInput, FlowReport, KioskAction } from "../flows/flow-types.js";
import { IdCardReader, type IdCardReaderOptions } from "../idcard/id-card-reader.js";
import type { ReaderError } from "../idcard/reader-error.js";
import type { SerialBinding } from "../idcard/serial-binding.js";
import { connectBoxSession, type BoxMqttSession } from "../mqtt/box-mqtt-session.js";
import { commandResponse, judgeCommand } from "./box-commands.js";
import { WatchListFile } from "./watch-list-file.js";
import type { TemplateStore } from "../face/template-store.js";
import { templateSyncClient, type TemplateSyncClient } from "../template-sync/template-sync-client.js";
import { pullTemplates, uploadEnrolment, type PullReport, type SyncScope } from "../template-sync/template-sync.js";
import { EventOutbox } from "../outbox/event-outbox.js";
import { EvidenceStore, type EvidenceRef } from "../outbox/evidence-store.js";
import { OutboxDelivery } from "../outbox/outbox-delivery.js";
import type { Clock, FrameSource, KioskScreen, KioskSink } from "../ports.js";
import { measureClockOffset, readDiskSpace } from "../health/system-readings.js";
import { healthChanged, type DiskSpace, type StatusHealth } from "../health/box-health.js";
import { agentStatusHealth, type AgentHealth } from "./agent-health.js";
import type { BoxSecrets } from "./box-secrets.js";
import { signedCheckEvent } from "./check-event.js";
import { readDialysisMemory, writeDialysisMemory } from "./dialysis-memory-file.js";
import type { FaceCheck } from "./face-check.js";
import { flowCardOf } from "./flow-card.js";

/**
 * The box's agent: joins the ID-card reader, the camera, the face check, the outbox and the MQTT
 * session around the pure flows (device/flows/box-flow.ts). Inputs (a card, a face result, a touch
 * on the kiosk, a timer tick) go through `stepFlow`; its effects are performed here:
 *
 * - `record`: the event is signed with the box key and written to the SQLite outbox (WAL,
 *   synchronous=FULL; the sequence number is spent in the same transaction) before the flow gets its
 *   `recorded` input, and only that input makes the flow show "done";
 * - delivery: OutboxDelivery publishes over the box's persistent MQTT session, live events first and
 *   the backlog rate-limited behind them; only the gateway's ack deletes an event;
 * - remote configuration: a push is validated (device/config/remote-config.ts), written with the
 *   previous file kept, and the parts it changes are restarted; if they fail to start, the file is
 *   rolled back and the box keeps its last good configuration;
 * - health: reader, camera, outbox, disk and alarms on the retained status topic.
 */
export interface BoxAgentTiming {
  /** Frames per face burst and the most time to wait for them. */
  readonly burstFrames: number;
  readonly burstTimeoutMs: number;
  readonly enrolmentFrames: number;
  readonly enrolmentTimeoutMs: number;
  readonly tickMs: number;
  readonly deliveryMs: number;
  readonly statusMs: number;
  readonly resultMs: number;
  readonly maxFaceAttempts: number;
}

export const DEFAULT_AGENT_TIMING: BoxAgentTiming = {
  burstFrames: 8,
  burstTimeoutMs: 3000,
  enrolmentFrames: 6,
  enrolmentTimeoutMs: 6000,
  tickMs: 500,
  deliveryMs: 250,
  statusMs: 30_000,
  resultMs: 4000,
  maxFaceAttempts: 3,
};

export type AgentLogEntry =
  | { readonly event: "started"; readonly box: string; readonly revision: number; readonly lastSeq: number; readonly backlog: number }
  | { readonly event: "screen"; readonly screen: KioskScreen }
  | { readonly event: "recorded"; readonly id: string; readonly seq: number; readonly kind: string; readonly outcome: string }
  /** The patient was shown the result of a recorded event. */
  | { readonly event: "done_shown"; readonly id: string; readonly seq: number }
  | { readonly event: "report"; readonly report: FlowReport }
  | { readonly event: "config_applied"; readonly revision: number }
  | { readonly event: "config_refused"; readonly reason: string; readonly detail: string }
  /** A gateway command and how the box answered it (ok, rejected, expired) or why it was dropped. */
  | { readonly event: "command"; readonly command: string | null; readonly status: string; readonly detail: string | null }
  | { readonly event: "problem"; readonly part: "reader" | "camera" | "outbox" | "mqtt" | "face" | "state"; readonly detail: string }
  | { readonly event: "evidence_pruned"; readonly files: number; readonly bytes: number; readonly freeBytes: number | null }
  /** Template sync with the gateway: an upload after an enrolment, or a periodic pull. */
  | { readonly event: "template_sync"; readonly direction: "upload" | "pull"; readonly imported: number; readonly skipped: number; readonly problem: string | null }
  | { readonly event: "stopped" };

export interface BoxAgentOptions {
  readonly config: BoxConfig;
  /** The configuration file: accepted pushes are written here (previous kept) and rolled back on failure. */
  readonly configPath?: string;
  readonly secrets: BoxSecrets;
  /** serialport's platform binding in production; the mock binding or a pty in tests. */
  readonly readerBinding: SerialBinding;
  /** Driver settings beyond port and baud rate (poll interval, timeouts). */
  readonly readerOptions?: Partial<Omit<IdCardReaderOptions, "binding" | "path" | "baudRate">>;
  /** The camera; by default the one the configuration names (ffmpeg, directory, video file). */
  readonly camera?: FrameSource;
  /** Builds the face check for a configuration (thresholds); called again when a push changes them. */
  readonly face: (config: BoxConfig) => Promise<FaceCheck> | FaceCheck;
  readonly kiosk?: KioskSink;
  readonly log?: (entry: AgentLogEntry) => void;
  readonly clock?: Clock;
  readonly timing?: Partial<BoxAgentTiming>;
  readonly agentVersion?: string;
  /** How the box's clock is disciplined, as the event reports it. */
  readonly clockSync?: EventMessage["clock"]["sync"];
  /** The box's UTC offset in minutes; by default the host's. */
  readonly utcOffsetMin?: number;
  /**
   * The box's template store, for synchronising enrolments with the other boxes of the institution
   * through the gateway (device/template-sync); without it, or without `keys.templateKeyId`, no sync.
   */
  readonly templates?: Pick<TemplateStore, "sealed" | "putSealed">;
  /** Cap on evidence kept on disk (one frame per face check, encrypted); pruned oldest first. Default 1 GiB. */
  readonly evidenceMaxBytes?: number;
  /**
   * The gateway asked for a restart (command restart_agent), answered already: stop and let the
   * service manager start the agent again. Without it the command is answered `rejected`.
   */
  readonly onRestartRequested?: (reason: string) => void;
}

/** What the kiosk page and the simulator use. */
export interface RunningBoxAgent {
  readonly config: BoxConfig;
  readonly screen: KioskScreen;
  /** A touch on the kiosk (start_round gets its round id here). */
  act(action: KioskActionRequest): void;
  health(): AgentHealth;
  flowState(): FlowState;
  /** Publishes what is due now (tests and benchmarks call it instead of waiting for the timer). */
  deliverNow(): Promise<void>;
  stop(): Promise<void>;
}

export type KioskActionRequest = KioskAction extends infer A ? (A extends { action: "start_round" } ? Omit<A, "roundId"> & { roundId?: string } : A) : never;

/** Sane bounds for a configured match distance on unit-length descriptors (dlib-resnet-v1@2: calibrated 0.42, strangers near 1). */
const FACE_THRESHOLD_RANGE = { min: 0.2, max: 0.7 } as const;

/** A behaviour the face part cannot run with safely; null when fine. */
export function faceSettingsProblem(config: BoxConfig): string | null {
  const { faceThreshold, livenessThreshold } = config.behaviour;
  if (faceThreshold !== null && !(faceThreshold > FACE_THRESHOLD_RANGE.min && faceThreshold < FACE_THRESHOLD_RANGE.max)) {
    return `face threshold ${faceThreshold} outside (${FACE_THRESHOLD_RANGE.min}, ${FACE_THRESHOLD_RANGE.max}): it would accept strangers or refuse everyone`;
  }
  if (livenessThreshold !== null && livenessThreshold === 0) return "liveness threshold 0 would accept any photo";
  return null;
}

function flowSettingsOf(config: BoxConfig, timing: BoxAgentTiming, utcOffsetMin: number): FlowSettings {
  return {
    mode: config.box.role,
    ward: config.box.role === "ward_round" ? config.box.location : null,
    refKey: config.keys.pseudonymKeyId,
    behaviour: config.behaviour,
    roster: config.roster,
    utcOffsetMin,
    resultMs: timing.resultMs,
    maxFaceAttempts: timing.maxFaceAttempts,
    enrolmentFrames: 3,
  };
}

/** Strips anything that looks like an ID number from a driver's message before it is logged. */
function scrub(message: string): string {
  return message.replace(/\d{6,}[\dXx]*/g, "[number]");
}

export async function startBoxAgent(options: BoxAgentOptions): Promise<RunningBoxAgent> {
  const agent = new BoxAgent(options);
  await agent.start();
  return agent;
}

class BoxAgent implements RunningBoxAgent {
  private currentConfig: BoxConfig;
  private readonly timing: BoxAgentTiming;
  private readonly clock: Clock;
  private readonly utcOffsetMin: number;
  private readonly log: (entry: AgentLogEntry) => void;
  private readonly outbox: EventOutbox;
  private readonly delivery: OutboxDelivery;
  private readonly reader: IdCardReader;
  private readonly camera: FrameSource;
  private readonly memoryPath: string;
  private readonly evidence: EvidenceStore;
  private readonly watchList: WatchListFile;
  private readonly commandsSeen = new Set<string>();
  private syncClient: TemplateSyncClient | undefined;
  private pulling: Promise<PullReport> | null = null;
  private pendingEvidence: { ref: string; evidence: EvidenceRef[] } | null = null;
  private disk: DiskSpace | null = null;
  private clockOffsetMs: number | null = null;
  private lastStatus: StatusHealth | null = null;
  private session: BoxMqttSession | undefined;
  private face: FaceCheck | undefined;
  private state: FlowState;
  private currentScreen: KioskScreen;
  private lastRecorded: { id: string; seq: number } | null = null;
  private lastEventAt: number | null = null;
  private faceTask = 0;
  private delivering: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly counters = { overdueSessions: 0, cardProblems: 0, recordFailures: 0, configRefusals: 0 };
  private lastConfigRefusal: { reason: string; detail: string } | null = null;
  private configQueue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: BoxAgentOptions) {
    this.currentConfig = options.config;
    this.timing = { ...DEFAULT_AGENT_TIMING, ...options.timing };
    this.clock = options.clock ?? { now: () => Date.now() };
    this.utcOffsetMin = options.utcOffsetMin ?? -new Date().getTimezoneOffset();
    this.log = options.log ?? (() => undefined);
    const config = options.config;
    mkdirSync(dirname(config.outbox.path), { recursive: true });
    this.outbox = new EventOutbox(config.outbox.path);
    this.delivery = new OutboxDelivery(
      this.outbox,
      { publish: (topic, payload) => (this.session === undefined ? Promise.reject(new Error("no MQTT session yet")) : this.session.publish(topic, payload)) },
      { liveWindowMs: config.outbox.liveWindowMs, backlogPerSecond: config.outbox.backlogPerSecond, resendAfterMs: config.outbox.resendAfterMs, maxPerTick: 200 },
      this.clock,
    );
    this.memoryPath = join(dirname(config.outbox.path), "dialysis-memory.json");
    this.evidence = new EvidenceStore(join(dirname(config.outbox.path), "evidence"), options.secrets.templateKey);
    this.watchList = new WatchListFile(join(dirname(config.outbox.path), "watch-list.json"));
    const memory = readDialysisMemory(this.memoryPath);
    if (memory.problem !== null) this.log({ event: "problem", part: "state", detail: memory.problem });
    this.state = initialFlowState(flowSettingsOf(config, this.timing, this.utcOffsetMin), memory.memory);
    this.currentScreen = homeScreen(this.state);
    this.reader = new IdCardReader({ pollIntervalMs: 300, ...options.readerOptions, path: config.reader.port, baudRate: config.reader.baudRate as IdCardReaderOptions["baudRate"], binding: options.readerBinding });
    this.camera = options.camera ?? frameSourceFor(config.camera);
  }

  get config(): BoxConfig {
    return this.currentConfig;
  }

  get screen(): KioskScreen {
    return this.currentScreen;
  }

  async start(): Promise<void> {
    const problem = faceSettingsProblem(this.currentConfig);
    if (problem !== null) throw new Error(`configuration refused: ${problem}`);
    this.face = await this.options.face(this.currentConfig);
    await this.camera.start();
    this.wireReader();
    this.reader.start();
    const config = this.currentConfig;
    this.session = await connectBoxSession({
      url: config.gateway.mqttUrl,
      site: config.box.site,
      box: config.box.id,
      protocolVersion: config.gateway.protocolVersion,
      agentVersion: this.options.agentVersion ?? "carewitness-agent",
      health: () => agentStatusHealth(this.health(), this.currentConfig),
      onAck: (payload) => this.delivery.onAckMessage(payload),
      onConfig: (payload) => {
        this.configQueue = this.configQueue.then(() => this.applyConfig(payload));
      },
      onCommand: (payload) => this.onCommand(payload),
      waitForConnect: false,
    });
    this.every(this.timing.tickMs, () => this.handle({ type: "tick", at: this.clock.now() }));
    this.every(this.timing.deliveryMs, () => void this.deliverNow());
    // Status: at once when a component or an alarm changes, and on a slow timer with the clock offset.
    this.every(1000, () => {
      const next = agentStatusHealth(this.health(), this.currentConfig);
      if (healthChanged(this.lastStatus, next)) this.publishStatus();
    });
    this.every(this.timing.statusMs, () => {
      void measureClockOffset(this.currentConfig.gateway.httpUrl).then((offset) => (this.clockOffsetMs = offset));
      this.publishStatus();
    });
    void measureClockOffset(this.currentConfig.gateway.httpUrl).then((offset) => (this.clockOffsetMs = offset));
    this.every(10_000, () => this.pruneEvidence());
    if (this.templateSync() !== null) {
      this.every(this.currentConfig.templates.syncIntervalS * 1000, () => void this.pullTemplates());
      void this.pullTemplates();
    }
    this.pruneEvidence();
    const stats = this.outbox.stats();
    this.log({ event: "started", box: config.box.id, revision: config.revision, lastSeq: stats.lastSeq, backlog: stats.depth });
    this.show(this.currentScreen);
  }

  private publishStatus(): void {
    this.lastStatus = agentStatusHealth(this.health(), this.currentConfig);
    void this.session?.publishStatus("online", "connected").catch(() => undefined);
  }

  /** A gateway command: judged (protocol, expiry, once per id), carried out, and always answered. */
  private onCommand(payload: Buffer): void {
    const now = this.clock.now();
    const judged = judgeCommand(payload, now, this.commandsSeen);
    if (judged.kind === "drop") {
      this.log({ event: "command", command: null, status: "dropped", detail: judged.detail });
      return;
    }
    if (judged.kind === "answer") {
      void this.answer(null, judged.response);
      return;
    }
    const command = judged.command;
    this.commandsSeen.add(command.id);
    if (this.commandsSeen.size > 1000) this.commandsSeen.delete(this.commandsSeen.values().next().value ?? "");
    void this.carryOut(command, now)
      .catch((error: unknown) => commandResponse(command.id, this.clock.now(), "error", (error as Error).message))
      .then(async (response) => {
        await this.answer(command.command, response);
        // Restarting comes after the answer has left: the service manager brings the agent back.
        if (command.command === "restart_agent" && response.status === "ok") this.options.onRestartRequested?.(`command ${command.id}`);
      });
  }

  private async carryOut(command: CommandMessage, now: number): Promise<CommandResponseMessage> {
    switch (command.command) {
      case "watch_list_update": {
        const entries = command.args.watchList ?? [];
        const faceRefs = entries.flatMap((entry) => (entry.faceTemplateId === null ? [] : [entry.faceTemplateId]));
        this.watchList.replace({ cardRefs: entries.map((entry) => entry.cardRef), faceRefs }, command.id, now);
        // A face is watched only where its template is held (templates stay within an institution).
        const facesHeld = this.face?.holdsTemplate === undefined ? 0 : this.watchList.faceRefs.filter((ref) => this.face?.holdsTemplate?.(ref) === true).length;
        return commandResponse(command.id, now, "ok", null, { entries: this.watchList.size, faces: this.watchList.faceRefs.length, facesHeld });
      }
      case "resend_outbox": {
        const report = this.outbox.requeueFrom(command.args.fromSeq ?? 1);
        setImmediate(() => void this.deliverNow());
        // heldFrom above fromSeq: the events between were pruned (keepDeliveredHours/Bytes) and cannot come back.
        return commandResponse(command.id, now, "ok", null, { requeued: report.requeued, fromSeq: command.args.fromSeq ?? 1, heldFrom: report.heldFrom, lastSeq: report.lastSeq });
      }
      case "sync_templates": {
        const report = await this.pullTemplates(true);
        if (report === null) return commandResponse(command.id, this.clock.now(), "rejected", "this box does not synchronise templates (no template store or no keys.templateKeyId)");
        return commandResponse(command.id, this.clock.now(), report.problem === null ? "ok" : "error", report.problem, { imported: report.imported, unchanged: report.unchanged, skipped: report.skipped.length, after: report.after });
      }
      case "restart_agent":
        if (this.options.onRestartRequested === undefined) return commandResponse(command.id, now, "rejected", "restart_agent needs a service manager: this agent was not started by `carewitness device run`");
        return commandResponse(command.id, now, "ok", null, { restarting: true });
      case "report_health":
        this.publishStatus();
        return commandResponse(command.id, now, "ok", null);
    }
  }

  private async answer(command: string | null, response: CommandResponseMessage): Promise<void> {
    this.log({ event: "command", command, status: response.status, detail: response.error });
    await this.session?.publishResponse(response).catch((error: unknown) => this.log({ event: "problem", part: "mqtt", detail: `command response not sent: ${(error as Error).message}` }));
  }

  private every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    this.timers.push(timer);
  }

  private wireReader(): void {
    const config = this.currentConfig;
    this.reader.on("presented", (presentation) => {
      let card: FlowCard;
      try {
        card = flowCardOf(presentation.card, this.options.secrets.pseudonymKey, config.keys.pseudonymKeyId);
        if (this.watchList.has(card.ref)) card = { ...card, watchListed: true };
      } catch (error) {
        this.handle({ type: "card_problem", at: this.clock.now(), problem: "invalid_card", detail: scrub((error as Error).message) });
        return;
      }
      this.handle({ type: "card", at: this.clock.now(), card });
    });
    const problem = (kind: "unreadable" | "invalid_card" | "reader_offline") => (error: ReaderError) => {
      this.counters.cardProblems++;
      this.handle({ type: "card_problem", at: this.clock.now(), problem: kind, detail: `${error.code}: ${scrub(error.message)}` });
    };
    this.reader.on("rejected", problem("invalid_card"));
    this.reader.on("read_failed", problem("unreadable"));
    this.reader.on("disconnected", problem("reader_offline"));
    this.reader.on("reader_error", (error) => this.log({ event: "problem", part: "reader", detail: `${error.code}: ${scrub(error.message)}` }));
  }

  /**
   * Disk policy: evidence goes first (over its cap, or when free space is below the alarm); events
   * never, only acknowledged ones kept for resend_outbox (past keepDeliveredHours/Bytes).
   */
  private pruneEvidence(): void {
    void readDiskSpace(this.currentConfig.outbox.path).then((disk) => (this.disk = disk));
    try {
      const { keepDeliveredHours, keepDeliveredBytes } = this.currentConfig.outbox;
      this.outbox.pruneDelivered(this.clock.now() - keepDeliveredHours * 3_600_000, keepDeliveredBytes);
    } catch (error) {
      this.log({ event: "problem", part: "state", detail: `delivered events pruning: ${(error as Error).message}` });
    }
    try {
      const report = this.evidence.prune({ maxBytes: this.options.evidenceMaxBytes ?? 1024 ** 3, minFreeBytes: this.currentConfig.health.diskFreeAlarmBytes });
      if (report.deletedFiles > 0) this.log({ event: "evidence_pruned", files: report.deletedFiles, bytes: report.deletedBytes, freeBytes: report.freeBytes });
    } catch (error) {
      this.log({ event: "problem", part: "state", detail: `evidence pruning: ${(error as Error).message}` });
    }
  }

  /** Keeps the first frame of a compared burst as evidence for the event about to be recorded. */
  private keepEvidence(ref: string, frames: readonly { image: Buffer }[]): void {
    const first = frames[0];
    if (first === undefined) return;
    try {
      this.pendingEvidence = { ref, evidence: [this.evidence.put(first.image)] };
    } catch (error) {
      this.pendingEvidence = null;
      this.log({ event: "problem", part: "state", detail: `evidence not kept: ${(error as Error).message}` });
    }
  }

  act(request: KioskActionRequest): void {
    const action: KioskAction = request.action === "start_round" ? { ...request, roundId: request.roundId ?? randomUUID() } : request;
    this.handle({ type: "action", at: this.clock.now(), action });
  }

  /** Runs an input and every input its effects produce synchronously, in order. */
  private handle(first: FlowInput): void {
    if (this.stopped) return;
    const queue: FlowInput[] = [first];
    for (let input = queue.shift(); input !== undefined; input = queue.shift()) {
      const before = this.state;
      const step = stepFlow(this.state, input);
      this.state = step.state;
      if (step.state.dialysis !== before.dialysis) this.persistMemory();
      for (const effect of step.effects) {
        const fed = this.perform(effect);
        if (fed !== null) queue.push(fed);
      }
    }
  }

  private persistMemory(): void {
    try {
      writeDialysisMemory(this.memoryPath, this.state.dialysis);
    } catch (error) {
      this.log({ event: "problem", part: "state", detail: `dialysis memory not saved: ${(error as Error).message}` });
    }
  }

  private perform(effect: FlowEffect): FlowInput | null {
    switch (effect.effect) {
      case "show":
        this.show(effect.screen);
        return null;
      case "record":
        return this.record(effect.draft);
      case "check_face":
        void this.checkFace(effect.card);
        return null;
      case "enrol":
        void this.enrol(effect.card);
        return null;
      case "set_exposure":
        void this.camera.setExposure?.(effect.exposure).catch((error: unknown) => this.log({ event: "problem", part: "camera", detail: String(error) }));
        return null;
      case "report":
        if (effect.report.report === "session_overdue") this.counters.overdueSessions++;
        this.log({ event: "report", report: effect.report });
        return null;
    }
  }

  private show(screen: KioskScreen): void {
    this.currentScreen = screen;
    try {
      this.options.kiosk?.show(screen);
    } catch (error) {
      this.log({ event: "problem", part: "state", detail: `kiosk: ${(error as Error).message}` });
    }
    this.log({ event: "screen", screen });
    const done = screen.screen === "result" || (screen.screen === "attestation" && screen.step === "done");
    if (done && this.lastRecorded !== null) {
      this.log({ event: "done_shown", ...this.lastRecorded });
      this.lastRecorded = null;
    }
  }

  /** Signs and stores the event; the flow shows "done" only on the `recorded` this returns. */
  private record(draft: Parameters<typeof signedCheckEvent>[0]): FlowInput {
    const at = this.clock.now();
    const config = this.currentConfig;
    const pending = this.pendingEvidence;
    this.pendingEvidence = null;
    const evidence = pending !== null && pending.ref === draft.subject.ref ? pending.evidence : [];
    try {
      const entry = this.outbox.enqueue((seq) => {
        const event = signedCheckEvent(draft, {
          site: config.box.site,
          box: config.box.id,
          seq,
          at,
          utcOffsetMin: this.utcOffsetMin,
          clockSync: this.options.clockSync ?? "unsynced",
          driftMs: this.clockOffsetMs === null ? null : Math.max(-86_400_000, Math.min(86_400_000, Math.round(this.clockOffsetMs))),
          station: { id: config.box.location ?? config.box.id, room: null },
          evidence,
          signingKey: this.options.secrets.signingKey,
        });
        // A draft that makes an invalid event is a bug; refuse it here rather than at the gateway.
        const checked = EventMessage.safeParse(event);
        if (!checked.success) throw new Error(`event does not validate: ${checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
        return { id: event.id, topic: boxTopic("events", { site: config.box.site, box: config.box.id }), payload: Buffer.from(JSON.stringify(event), "utf8") };
      }, at);
      this.lastRecorded = { id: entry.id, seq: entry.seq };
      this.lastEventAt = at;
      this.log({ event: "recorded", id: entry.id, seq: entry.seq, kind: draft.kind, outcome: draft.verification.outcome });
      setImmediate(() => void this.deliverNow());
      return { type: "recorded", at, eventId: entry.id };
    } catch (error) {
      this.counters.recordFailures++;
      const detail = (error as Error).message;
      this.log({ event: "problem", part: "outbox", detail });
      return { type: "record_failed", at, detail };
    }
  }

  private async checkFace(card: FlowCard): Promise<void> {
    const task = ++this.faceTask;
    const face = this.face;
    if (face === undefined) return;
    const challenge = pickChallenge((max) => randomInt(max), this.currentConfig.behaviour.livenessChallenges);
    this.show({ screen: "challenge", person: card.person, challenge });
    let input: FlowInput;
    try {
      const frames = await this.camera.burst(this.timing.burstFrames, this.timing.burstTimeoutMs);
      const outcome = frames.length === 0 ? { kind: "camera_problem" as const, detail: this.camera.health().problem ?? "no frame" } : await face.verify(frames, card.ref, challenge, this.watchList.faceRefs);
      if (outcome.kind === "decided" && outcome.verification.face !== null) this.keepEvidence(card.ref, frames);
      if (outcome.kind === "camera_problem") this.log({ event: "problem", part: "camera", detail: outcome.detail });
      input = { type: "face", at: this.clock.now(), outcome };
    } catch (error) {
      // A frame the pipeline cannot decode is a camera problem for this check, never a crash.
      this.log({ event: "problem", part: "face", detail: (error as Error).message });
      input = { type: "face", at: this.clock.now(), outcome: { kind: "camera_problem", detail: (error as Error).message } };
    }
    const activity = this.state.activity;
    if (task === this.faceTask && activity.kind === "checking" && activity.card.ref === card.ref) this.handle(input);
  }

  private async enrol(card: FlowCard): Promise<void> {
    const face = this.face;
    if (face === undefined) return;
    let input: FlowInput;
    try {
      const frames = await this.camera.burst(this.timing.enrolmentFrames, this.timing.enrolmentTimeoutMs);
      input = { type: "enrolled", at: this.clock.now(), outcome: await face.enrol(frames, card.ref) };
      if (input.outcome.ok && face.templateModel !== undefined) void this.uploadTemplate(card.ref, face.templateModel);
    } catch (error) {
      this.log({ event: "problem", part: "face", detail: (error as Error).message });
      input = { type: "enrolled", at: this.clock.now(), outcome: { ok: false, goodFrames: 0, framesNeeded: 3, problem: "capture_failed" } };
    }
    this.handle(input);
  }

  /** The sync client and scope, or null when this box does not synchronise templates. */
  private templateSync(): { client: TemplateSyncClient; scope: SyncScope; store: Pick<TemplateStore, "sealed" | "putSealed">; cursor: string } | null {
    const store = this.options.templates;
    const config = this.currentConfig;
    if (store === undefined || config.keys.templateKeyId === null) return null;
    this.syncClient ??= templateSyncClient({ gatewayUrl: config.gateway.httpUrl, box: config.box.id, signingKey: this.options.secrets.signingKey, clock: this.clock });
    return {
      client: this.syncClient,
      scope: { site: config.box.site, box: config.box.id, templateKeyId: config.keys.templateKeyId },
      store,
      cursor: join(dirname(config.templates.path), "template-sync.json"),
    };
  }

  /**
   * Pulls the institution's new templates; one pull at a time (a caller that finds one running waits
   * for it), failures retried at the next interval. Null when this box does not synchronise.
   */
  private async pullTemplates(logAlways = false): Promise<PullReport | null> {
    const sync = this.templateSync();
    if (sync === null || this.stopped) return null;
    if (this.pulling !== null) return this.pulling;
    this.pulling = pullTemplates(sync.client, sync.store, sync.scope, sync.cursor).finally(() => (this.pulling = null));
    const report = await this.pulling;
    if (logAlways || report.imported > 0 || report.skipped.length > 0 || report.problem !== null) {
      this.log({ event: "template_sync", direction: "pull", imported: report.imported, skipped: report.skipped.length, problem: report.problem });
    }
    return report;
  }

  /** Uploads a template this box just enrolled; a failure is logged and the next enrolment or a re-enrolment sends it again. */
  private async uploadTemplate(personRef: string, model: string): Promise<void> {
    const sync = this.templateSync();
    if (sync === null) return;
    const result = await uploadEnrolment(sync.client, sync.store, sync.scope, personRef, model);
    this.log({ event: "template_sync", direction: "upload", imported: 0, skipped: 0, problem: result.ok ? null : `${result.problem}: ${result.detail}` });
  }

  deliverNow(): Promise<void> {
    this.delivering ??= this.delivery
      .tick()
      .then(() => undefined)
      .catch((error: unknown) => this.log({ event: "problem", part: "mqtt", detail: String(error) }))
      .finally(() => {
        this.delivering = null;
      });
    return this.delivering;
  }

  /** A configuration push: validate, write (previous kept), restart the parts it changes, roll back on failure. */
  private async applyConfig(payload: Buffer): Promise<void> {
    const outcome = applyConfigPush(this.currentConfig, payload);
    if (!outcome.applied) {
      // The retained push the box already runs comes back on every reconnection: not a refusal.
      if (outcome.reason === "not_newer" && outcome.detail.startsWith(`revision ${this.currentConfig.revision} `)) return;
      this.refuseConfig(outcome.reason, outcome.detail);
      return;
    }
    const next = outcome.config;
    const path = this.options.configPath;
    const startParts = async (config: BoxConfig): Promise<void> => {
      const problem = faceSettingsProblem(config);
      if (problem !== null) throw new Error(problem);
      const face = await this.options.face(config);
      const previous = this.face;
      this.face = face;
      if (previous !== face) await previous?.close?.();
    };
    const kept = this.currentConfig.revision;
    if (path !== undefined) {
      // Written with the previous file kept; on failure the previous file is put back and its parts restarted.
      const applied = await applyBoxConfig(path, next, startParts);
      if (!applied.applied) {
        this.refuseConfig(applied.reason, `revision ${next.revision}: ${applied.detail}; kept revision ${kept}${applied.running.ok ? "" : ` (${applied.running.problem.message})`}`);
        return;
      }
    } else {
      try {
        await startParts(next);
      } catch (error) {
        this.refuseConfig("start_failed", `revision ${next.revision}: ${(error as Error).message}; kept revision ${kept}`);
        return;
      }
    }
    this.currentConfig = next;
    this.state = { ...this.state, settings: flowSettingsOf(next, this.timing, this.utcOffsetMin) };
    this.log({ event: "config_applied", revision: next.revision });
    this.publishStatus();
  }

  private refuseConfig(reason: string, detail: string): void {
    this.counters.configRefusals++;
    this.lastConfigRefusal = { reason, detail };
    this.log({ event: "config_refused", reason, detail });
  }

  health(): AgentHealth {
    const stats = this.outbox.stats();
    return {
      at: this.clock.now(),
      reader: this.reader.health(),
      camera: this.camera.health(),
      outbox: stats,
      delivery: this.delivery.stats(),
      mqttConnected: this.session?.client.connected ?? false,
      configRevision: this.currentConfig.revision,
      lastConfigRefusal: this.lastConfigRefusal,
      models: this.face?.models ?? [],
      lastEventAt: this.lastEventAt,
      disk: this.disk,
      clockOffsetMs: this.clockOffsetMs,
      counters: { ...this.counters },
    };
  }

  flowState(): FlowState {
    return this.state;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.configQueue;
    await this.delivering;
    await this.reader.stop();
    await this.camera.stop();
    await this.face?.close?.();
    await this.session?.close();
    this.outbox.close();
    this.log({ event: "stopped" });
  }
}
