import { EventEmitter } from "node:events";
import type { z } from "zod";
import { parseCardText, type CardTextError } from "./card-text-parser.js";
import { CommandChannel, type TransactResult } from "./command-channel.js";
import type { IdCard } from "./id-card.js";
import { advancePresence, initialPresence, type PollEvent, type PollObservation, type PresenceState } from "./poll-loop.js";
import type { BaudRate, ReaderCommand } from "./reader-commands.js";
import { IdCardReaderConfig } from "./reader-config.js";
import { ReaderError } from "./reader-error.js";
import type { SamId } from "./sam-id.js";
import type { SamStatus } from "./sam-status.js";
import type { SerialBinding } from "./serial-binding.js";
import { openSerialLink, type SerialLink } from "./serial-link.js";

/**
 * The reader's configuration (reader-config.ts: zod schema, defaults, documentation) plus the serial
 * binding: serialport's platform binding in production, a mock or pty-backed one in tests.
 */
export type IdCardReaderOptions = z.input<typeof IdCardReaderConfig> & { readonly binding: SerialBinding };

export interface CardPresentation {
  readonly card: IdCard;
  /** 1024 bytes of WLT-compressed photo, opaque: no open decoder exists. */
  readonly photo: Uint8Array;
  readonly fingerprint: Uint8Array | null;
  /** The appended (newest) address when asked for and present; null otherwise. */
  readonly newestAddress: string | null;
  readonly samId: string | null;
  readonly readAt: Date;
  /** From sending find card to the decoded card. */
  readonly readMs: number;
}

export interface CardRemoval {
  readonly card: IdCard;
  readonly reason: "lifted" | "replaced" | "link_lost";
}

export interface ReaderHealth {
  readonly path: string;
  readonly connected: boolean;
  readonly baudRate: number;
  readonly samId: SamId | null;
  readonly samStatus: SamStatus | null;
  readonly lastError: { readonly code: string; readonly message: string; readonly at: string } | null;
  /** Successful card reads (each poll that read a card, repeats included). */
  readonly reads: number;
  /** Failed polls: read failures, reader errors, lost links, failed opens. */
  readonly failures: number;
  readonly presentations: number;
  readonly rejections: number;
  readonly reconnects: number;
  /** Frame decoding errors seen on the line. */
  readonly frameErrors: number;
}

export interface IdCardReaderEvents {
  presented: [CardPresentation];
  removed: [CardRemoval];
  /** A card was read but refused; `error.card` holds what was read (mask before showing). */
  rejected: [ReaderError & { readonly card?: IdCard }];
  read_failed: [ReaderError];
  reader_error: [ReaderError];
  connected: [ReaderHealth];
  disconnected: [ReaderError];
}

type Observation = PollObservation<CardPresentation, ReaderError>;

function mutableHealth(path: string, baudRate: number): { -readonly [K in keyof ReaderHealth]: ReaderHealth[K] } {
  return { path, connected: false, baudRate, samId: null, samStatus: null, lastError: null, reads: 0, failures: 0, presentations: 0, rejections: 0, reconnects: 0, frameErrors: 0 };
}

/**
 * The resident-ID-card reader on a serial port: connects, checks the SAM, then polls
 * find → select → read and emits `presented` once per presentation and `removed` when the card
 * goes (poll-loop.ts decides). Reconnects with backoff when the port vanishes.
 */
export class IdCardReader extends EventEmitter<IdCardReaderEvents> {
  private readonly options: IdCardReaderConfig;
  private readonly binding: SerialBinding;
  private link: SerialLink | undefined;
  private channel: CommandChannel | undefined;
  private lostError: ReaderError | undefined;
  private presence: PresenceState<CardPresentation> = initialPresence();
  private readonly stats: ReturnType<typeof mutableHealth>;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastSamCheck = 0;
  private reconnectDelay: number;
  private everConnected = false;

  constructor(options: IdCardReaderOptions) {
    super();
    const { binding, ...config } = options;
    // Invalid settings are a configuration bug: the schema throws with every problem named.
    this.options = IdCardReaderConfig.parse(config);
    this.binding = binding;
    this.stats = mutableHealth(this.options.path, this.options.baudRate);
    this.reconnectDelay = this.options.reconnectDelayMs;
  }

  health(): ReaderHealth {
    return { ...this.stats };
  }

  /** Start polling in the background; events report what happens. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.closeLink();
  }

  /** Connect (if needed) and return SAM status and id: what `carewitness reader probe` prints. */
  async probe(): Promise<{ samStatus: SamStatus | null; samId: SamId | null; error: ReaderError | null }> {
    const error = this.link === undefined ? await this.connect() : null;
    return { samStatus: this.stats.samStatus, samId: this.stats.samId, error };
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.lostError !== undefined) {
        const error = this.lostError;
        this.lostError = undefined;
        this.apply({ kind: "link_lost", error });
      }
      if (this.link === undefined) {
        const error = await this.connect();
        if (error !== null) {
          await this.sleep(this.reconnectDelay);
          this.reconnectDelay = Math.min(this.reconnectDelay * 2, this.options.maxReconnectDelayMs);
          continue;
        }
        this.reconnectDelay = this.options.reconnectDelayMs;
      }
      const started = Date.now();
      this.apply(await this.observe());
      if (this.isRunning() && this.link !== undefined && Date.now() - this.lastSamCheck >= this.options.samStatusIntervalMs) await this.checkSam();
      await this.sleep(Math.max(0, this.options.pollIntervalMs - (Date.now() - started)));
    }
  }

  /** Read through a method: `stop()` may flip it while a poll is awaited. */
  private isRunning(): boolean {
    return this.running;
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private recordError(error: ReaderError, failure = true): void {
    if (failure) this.stats.failures += 1;
    this.stats.lastError = { code: error.code, message: error.message, at: new Date().toISOString() };
  }

  /** Open the port and bring the reader up: SAM status, SAM id, optional RF frame size and baud rate. */
  private async connect(): Promise<ReaderError | null> {
    const first = await this.openAt(this.options.baudRate);
    if (first === null || this.options.negotiateBaudRate === undefined) return first;
    // A reader left at the negotiated rate by an earlier run answers there.
    return this.openAt(this.options.negotiateBaudRate);
  }

  private async openAt(baudRate: number): Promise<ReaderError | null> {
    const channel = new CommandChannel((bytes) => this.linkWrite(bytes), {
      timeoutsMs: this.options.timeoutsMs,
      retries: this.options.retries,
      onFrameError: () => {
        this.stats.frameErrors += 1;
      },
    });
    try {
      this.link = await openSerialLink(this.binding, this.options.path, baudRate, {
        onData: (chunk) => channel.receive(chunk),
        onLost: (cause) => this.onLinkLost(cause),
      });
    } catch (cause) {
      const error = new ReaderError("port_open_failed", `cannot open ${this.options.path}: ${cause instanceof Error ? cause.message : String(cause)}`, { port: this.options.path });
      this.recordError(error);
      return error;
    }
    this.channel = channel;
    this.lostError = undefined;
    this.stats.baudRate = baudRate;
    const status = await this.command({ kind: "sam_status" });
    if (!status.ok) {
      this.recordError(status.error);
      await this.closeLink();
      return status.error;
    }
    this.stats.samStatus = status.response.status;
    this.lastSamCheck = Date.now();
    const samId = await this.command({ kind: "read_sam_id" });
    if (samId.ok && samId.response.payload.kind === "sam_id") this.stats.samId = samId.response.payload.samId;
    else if (samId.ok) this.stats.samStatus = samId.response.status;
    if (this.options.maxRfFrameBytes !== undefined) await this.command({ kind: "set_max_rf_frame", bytes: this.options.maxRfFrameBytes });
    if (this.options.negotiateBaudRate !== undefined && this.options.negotiateBaudRate !== baudRate) await this.negotiate(this.options.negotiateBaudRate, baudRate);
    this.stats.connected = true;
    if (this.everConnected) this.stats.reconnects += 1;
    this.everConnected = true;
    this.emit("connected", this.health());
    return null;
  }

  /**
   * `60 xx` ([1] for the PARA table; [?] whether the reply comes at the old rate or the new). We
   * accept either: after the command, with or without a reply, we switch our side and check with
   * SAM status; if the reader does not answer at the new rate we go back to the old one.
   */
  private async negotiate(target: BaudRate, current: number): Promise<void> {
    await this.command({ kind: "set_baud_rate", baudRate: target });
    const switched = await this.tryRate(target);
    if (switched) return;
    await this.tryRate(current);
  }

  private async tryRate(rate: number): Promise<boolean> {
    if (this.link === undefined) return false;
    try {
      await this.link.setBaudRate(rate);
    } catch {
      return false;
    }
    this.stats.baudRate = rate;
    const check = await this.command({ kind: "sam_status" });
    return check.ok;
  }

  private linkWrite(bytes: Uint8Array): Promise<void> {
    if (this.link === undefined) return Promise.reject(new Error("port not open"));
    return this.link.write(bytes);
  }

  private onLinkLost(cause: Error): void {
    const error = new ReaderError("port_lost", `${this.options.path} went away: ${cause.message}`, { port: this.options.path });
    this.link = undefined;
    this.stats.connected = false;
    this.channel?.lost(cause);
    this.channel = undefined;
    this.lostError = error;
    this.recordError(error);
    this.emit("disconnected", error);
  }

  private async closeLink(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.channel = undefined;
    this.stats.connected = false;
    if (link !== undefined) await link.close();
  }

  private command(command: ReaderCommand): Promise<TransactResult> {
    const channel = this.channel;
    if (channel === undefined) return Promise.resolve({ ok: false, error: new ReaderError("port_lost", "port not open", { command: command.kind }) });
    return channel.transact(command);
  }

  private async checkSam(): Promise<void> {
    this.lastSamCheck = Date.now();
    const result = await this.command({ kind: "sam_status" });
    if (result.ok) this.stats.samStatus = result.response.status;
  }

  /** One poll cycle: find → select → read → parse, as one observation. */
  private async observe(): Promise<Observation> {
    const started = Date.now();
    const find = await this.command({ kind: "find_card" });
    if (!find.ok) return find.error.code === "port_lost" ? { kind: "link_lost", error: find.error } : { kind: "reader_error", error: find.error };
    const findStatus = find.response.status;
    if (findStatus.code === "no_card") return { kind: "no_card" };
    if (findStatus.code !== "card_found") {
      this.stats.samStatus = findStatus;
      // 60: the SAM's self-test failed and it takes no commands; a reset is the one thing that may revive it.
      if (findStatus.code === "sam_self_test_failed") await this.command({ kind: "reset_sam" });
      return { kind: "reader_error", error: new ReaderError("sam_failure", `find card: ${findStatus.message}`, { command: "find_card", sw3: findStatus.sw3, samStatus: findStatus.code }) };
    }
    const select = await this.command({ kind: "select_card" });
    if (!select.ok) return select.error.code === "port_lost" ? { kind: "link_lost", error: select.error } : { kind: "read_failed", error: select.error };
    if (!select.response.status.ok) {
      const s = select.response.status;
      return { kind: "read_failed", error: new ReaderError("select_failed", `select card: ${s.message}`, { command: "select_card", sw3: s.sw3, samStatus: s.code }) };
    }
    const readKind = this.options.readFingerprint ? "read_base_with_fingerprint" : "read_base";
    const read = await this.command({ kind: readKind });
    if (!read.ok) return read.error.code === "port_lost" ? { kind: "link_lost", error: read.error } : { kind: "read_failed", error: read.error };
    const payload = read.response.payload;
    if (payload.kind !== "base_message") {
      const s = read.response.status;
      return { kind: "read_failed", error: new ReaderError("read_failed", `${readKind}: ${s.message}`, { command: readKind, sw3: s.sw3, samStatus: s.code }) };
    }
    this.stats.reads += 1;
    const key = Buffer.from(payload.text).toString("base64");
    const parsed = parseCardText(payload.text);
    if (!parsed.ok) return { kind: "card_rejected", key, error: rejection(parsed.error) };
    const presentation: CardPresentation = {
      card: parsed.card,
      photo: payload.photo,
      fingerprint: payload.fingerprint,
      newestAddress: this.options.readNewestAddress && this.presence.present?.key !== key ? await this.newestAddress() : null,
      samId: this.stats.samId?.text ?? null,
      readAt: new Date(),
      readMs: Date.now() - started,
    };
    return { kind: "card", key, card: presentation };
  }

  /** `30 03`: the address appended after the card was issued; SW3 91 (none) and any failure give null. */
  private async newestAddress(): Promise<string | null> {
    const result = await this.command({ kind: "read_newest_address" });
    return result.ok && result.response.payload.kind === "newest_address" ? result.response.payload.address : null;
  }

  private apply(observation: Observation): void {
    const step = advancePresence(this.presence, observation, { removalMisses: this.options.removalMisses, reopenAfterErrors: this.options.reopenAfterErrors });
    this.presence = step.state;
    for (const event of step.events) this.dispatch(event);
  }

  private dispatch(event: PollEvent<CardPresentation, ReaderError>): void {
    switch (event.kind) {
      case "presented":
        this.stats.presentations += 1;
        this.emit("presented", event.card);
        return;
      case "removed":
        this.emit("removed", { card: event.card.card, reason: event.reason });
        return;
      case "rejected":
        this.stats.rejections += 1;
        this.recordError(event.error, false);
        this.emit("rejected", event.error);
        return;
      case "read_failed":
        this.recordError(event.error);
        this.emit("read_failed", event.error);
        return;
      case "reader_error":
        this.recordError(event.error);
        this.emit("reader_error", event.error);
        return;
      case "reopen_port":
        void this.closeLink();
        return;
    }
  }
}

function rejection(error: CardTextError): ReaderError & { readonly card?: IdCard } {
  const readerError = new ReaderError("card_rejected", `card rejected: ${error.message}`, {}) as ReaderError & { card?: IdCard };
  if (error.card !== undefined) readerError.card = error.card;
  return readerError;
}
