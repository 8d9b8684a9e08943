import { FrameDecoder, type DecodedItem, type FrameError } from "./frame-decoder.js";
import { encodeCommand, looksLikeRequest, type CommandKind, type ReaderCommand } from "./reader-commands.js";
import { ReaderError } from "./reader-error.js";
import { decodeResponseBody, type ReaderResponse } from "./reader-responses.js";

/**
 * Reply timeouts per command. The standard gives none; these follow the drivers in the reference
 * ([1]: find/select 100-300 ms, read base 2 s, with fingerprint 3 s, newest address 1.5 s, SAM id
 * 300 ms), taking the upper end because USB-serial adapters add latency.
 */
export const DEFAULT_TIMEOUTS_MS: Readonly<Record<CommandKind, number>> = {
  reset_sam: 1500,
  sam_status: 300,
  read_sam_id: 300,
  find_card: 300,
  select_card: 300,
  read_base: 2000,
  read_base_with_fingerprint: 3000,
  read_newest_address: 1500,
  set_baud_rate: 500,
  set_max_rf_frame: 300,
};

export type TransactResult = { readonly ok: true; readonly response: ReaderResponse; readonly attempts: number } | { readonly ok: false; readonly error: ReaderError };

export interface CommandChannelOptions {
  readonly timeoutsMs?: Partial<Record<CommandKind, number>>;
  /** Extra attempts after a timeout or a corrupt reply (default 2). */
  readonly retries?: number;
  /** Every decoding error seen on the line, for health and diagnostics. */
  readonly onFrameError?: (error: FrameError) => void;
}

interface Pending {
  readonly command: ReaderCommand;
  readonly settle: (outcome: AttemptOutcome) => void;
  readonly frameErrors: string[];
}

type AttemptOutcome = { kind: "reply"; response: ReaderResponse } | { kind: "corrupt"; frameErrors: readonly string[] } | { kind: "timeout"; frameErrors: readonly string[] } | { kind: "lost"; error: Error };

/**
 * Request/response over a serial link: one command in flight, a reply timeout per command, retries
 * on timeouts and corrupt replies. Bytes arriving with nothing in flight are stale (a late reply to
 * a timed-out command) and are dropped before the next request goes out.
 */
export class CommandChannel {
  private readonly decoder = new FrameDecoder();
  private pending: Pending | undefined;
  private readonly timeouts: Readonly<Record<CommandKind, number>>;
  private readonly retries: number;

  constructor(
    private readonly write: (bytes: Uint8Array) => Promise<void>,
    private readonly options: CommandChannelOptions = {},
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS_MS, ...options.timeoutsMs };
    this.retries = options.retries ?? 2;
  }

  /** Feed bytes read from the port. */
  receive(chunk: Uint8Array): void {
    this.handle(this.decoder.push(chunk));
  }

  /** The port went away: the command in flight fails at once. */
  lost(error: Error): void {
    this.decoder.reset();
    this.pending?.settle({ kind: "lost", error });
  }

  async transact(command: ReaderCommand): Promise<TransactResult> {
    const attempts = 1 + this.retries;
    let last: AttemptOutcome | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const outcome = await this.attempt(command);
      if (outcome.kind === "reply") {
        // SW3 10/11: the reader got a damaged request from us; sending it again is the remedy.
        const code = outcome.response.status.code;
        if ((code === "terminal_checksum_error" || code === "terminal_length_error") && attempt < attempts) {
          last = outcome;
          continue;
        }
        if (code === "terminal_checksum_error" || code === "terminal_length_error") {
          return { ok: false, error: new ReaderError("terminal_frame_rejected", `the reader rejected our ${command.kind} frame: ${outcome.response.status.message}`, { command: command.kind, sw3: outcome.response.status.sw3, attempts: attempt }) };
        }
        return { ok: true, response: outcome.response, attempts: attempt };
      }
      if (outcome.kind === "lost") return { ok: false, error: new ReaderError("port_lost", `port lost during ${command.kind}: ${outcome.error.message}`, { command: command.kind, attempts: attempt }) };
      last = outcome;
    }
    if (last?.kind === "corrupt") {
      return { ok: false, error: new ReaderError("corrupt_reply", `${command.kind}: every reply was damaged (${last.frameErrors.join(", ")})`, { command: command.kind, frameErrors: last.frameErrors, attempts }) };
    }
    const frameErrors = last?.kind === "timeout" ? last.frameErrors : [];
    if (frameErrors.length > 0 && frameErrors.every((code) => code === "bad_reply")) {
      return { ok: false, error: new ReaderError("bad_reply", `${command.kind}: the reader answered with replies that do not fit the command`, { command: command.kind, frameErrors, attempts }) };
    }
    return {
      ok: false,
      error: new ReaderError("timeout", `${command.kind}: no reply within ${this.timeouts[command.kind]} ms, ${attempts} attempt(s)${frameErrors.length > 0 ? ` (line: ${frameErrors.join(", ")})` : ""}`, { command: command.kind, frameErrors, attempts }),
    };
  }

  private attempt(command: ReaderCommand): Promise<AttemptOutcome> {
    // Whatever arrived since the last reply is stale.
    this.decoder.reset();
    return new Promise<AttemptOutcome>((resolve) => {
      const frameErrors: string[] = [];
      const timer = setTimeout(() => {
        // A reply cut short is only known as such at the timeout; something whole may sit behind it.
        this.handle(this.decoder.flush());
        settle({ kind: "timeout", frameErrors });
      }, this.timeouts[command.kind]);
      const settle = (outcome: AttemptOutcome): void => {
        if (this.pending?.settle !== settle) return;
        clearTimeout(timer);
        this.pending = undefined;
        resolve(outcome);
      };
      this.pending = { command, settle, frameErrors };
      this.write(encodeCommand(command)).catch((error: unknown) => settle({ kind: "lost", error: error instanceof Error ? error : new Error(String(error)) }));
    });
  }

  private handle(items: readonly DecodedItem[]): void {
    for (const item of items) {
      const pending = this.pending;
      if (item.kind === "error") {
        this.options.onFrameError?.(item.error);
        if (pending === undefined) continue;
        pending.frameErrors.push(item.error.code);
        // Noise before a reply is harmless; a damaged frame means this reply is lost: retry now.
        if (item.error.code !== "garbage") pending.settle({ kind: "corrupt", frameErrors: [...pending.frameErrors] });
        continue;
      }
      if (pending === undefined || looksLikeRequest(item.frame.body)) continue;
      const decoded = decodeResponseBody(item.frame.body, pending.command.kind);
      if (!decoded.ok) {
        pending.frameErrors.push("bad_reply");
        continue;
      }
      pending.settle({ kind: "reply", response: decoded.response });
    }
  }
}
