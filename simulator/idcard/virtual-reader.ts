import {
  baseMessageData,
  decodeRequestBody,
  encodeCardText,
  encodeResponse,
  FrameDecoder,
  NEWEST_ADDRESS_BYTES,
  sw3Of,
  type BaudRate,
  type CommandKind,
  type ReaderCommand,
} from "../../device/idcard/codec.js";
import type { VirtualCard } from "./virtual-cards.js";

/**
 * What can go wrong on the reader side, injected by a test or scenario. A fault applies to the next
 * `times` (default 1) requests of kind `on` (default: any kind).
 */
export type ReaderFault =
  | { readonly kind: "corrupt_checksum"; readonly on?: CommandKind; readonly times?: number }
  | { readonly kind: "truncate"; readonly on?: CommandKind; readonly times?: number }
  | { readonly kind: "noise"; readonly bytes: Uint8Array; readonly on?: CommandKind; readonly times?: number }
  | { readonly kind: "delay"; readonly ms: number; readonly on?: CommandKind; readonly times?: number }
  | { readonly kind: "no_response"; readonly on?: CommandKind; readonly times?: number }
  /** The card leaves the field during `read base`: the reader answers 41 and the card is gone. */
  | { readonly kind: "remove_card_mid_read"; readonly on?: CommandKind; readonly times?: number }
  /** Answer with this SW3 (a SAM failure code) instead of the real reply. */
  | { readonly kind: "status"; readonly sw3: number; readonly on?: CommandKind; readonly times?: number };

/** Persistent SAM conditions: 60 (self-test failed; a reset clears it) and 66 (not authorised; nothing clears it). */
export type SamCondition = "ok" | "self_test_failed" | "not_authorised";

/**
 * [?]/[1] What `find card` answers once a card has been read while it still lies on the reader:
 * "found" — it keeps answering 9F (the reading we design for first); "not_found_until_replaced" —
 * it answers 80 until the card is lifted and placed again (reported by some integrators).
 */
export type FindAfterRead = "found" | "not_found_until_replaced";

export interface VirtualReaderOptions {
  /** 16 bytes; a fixed sample id by default. */
  readonly samId?: Uint8Array;
  readonly findAfterRead?: FindAfterRead;
  /** Processing time before each reply, like a real SAM (0 by default). */
  readonly replyDelayMs?: number;
}

export interface ReaderLogEntry {
  readonly at: number;
  readonly request: ReaderCommand | { readonly kind: "invalid"; readonly message: string };
}

/** Sample SAM id: 05.01-20130766-0123456789-0987654321 in the common rendering. */
export const SAMPLE_SAM_ID = Uint8Array.from([0x05, 0x00, 0x01, 0x00, 0xce, 0x2b, 0x33, 0x01, 0x15, 0xcd, 0x5b, 0x07, 0xb1, 0x68, 0xde, 0x3a]);

interface PendingFault {
  fault: ReaderFault;
  left: number;
}

/**
 * A byte-exact resident-ID-card reader as seen from the serial line: it decodes request frames with
 * the device's own pure codec and answers as a GA 467 SAM reader would. Transports (the serialport
 * mock binding, a socat pseudo-terminal) move its bytes; scenario scripts place and remove cards
 * and inject faults.
 */
export class VirtualReader {
  private readonly decoder = new FrameDecoder();
  private readonly faults: PendingFault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private sink: ((bytes: Uint8Array) => void) | undefined;
  private card: VirtualCard | null = null;
  /** False after a read under "not_found_until_replaced". */
  private findable = true;
  private selected = false;
  private sam: SamCondition = "ok";
  /** Actions due once the current reply has gone out (a baud change takes effect after its reply). */
  private pendingAfterReply: (() => void)[] = [];
  private readonly samId: Uint8Array;
  private readonly findAfterRead: FindAfterRead;
  private readonly replyDelayMs: number;
  /** Every request the reader received, in order (tests assert on it). */
  readonly log: ReaderLogEntry[] = [];
  /** Rate the reader switched to after `60 xx`; transports may apply it. */
  baudRate: BaudRate = 115200;
  /** Called after the reader acknowledged a baud change (after the reply is sent). */
  onBaudRateChange: ((baudRate: BaudRate) => void) | undefined;

  constructor(options: VirtualReaderOptions = {}) {
    this.samId = options.samId ?? SAMPLE_SAM_ID;
    this.findAfterRead = options.findAfterRead ?? "found";
    this.replyDelayMs = options.replyDelayMs ?? 0;
  }

  /** Where the reader's bytes go (the transport's write towards the host). */
  connect(sink: (bytes: Uint8Array) => void): void {
    this.sink = sink;
  }

  /** The link is gone: pending replies are dropped and half-received frames forgotten. */
  disconnect(): void {
    this.sink = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.decoder.reset();
  }

  placeCard(card: VirtualCard): void {
    this.card = card;
    this.findable = true;
    this.selected = false;
  }

  removeCard(): void {
    this.card = null;
    this.selected = false;
  }

  get cardOnReader(): VirtualCard | null {
    return this.card;
  }

  setSam(condition: SamCondition): void {
    this.sam = condition;
  }

  injectFault(fault: ReaderFault): void {
    this.faults.push({ fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Bytes from the host. */
  receive(bytes: Uint8Array): void {
    for (const item of this.decoder.push(bytes)) {
      if (item.kind === "error") {
        // A real SAM answers a frame it could not take with 10 (checksum) or 11 (length); noise it ignores.
        if (item.error.code === "bad_checksum") this.reply(encodeResponse(sw3Of("terminal_checksum_error")), undefined);
        if (item.error.code === "bad_length" || item.error.code === "oversize") this.reply(encodeResponse(sw3Of("terminal_length_error")), undefined);
        continue;
      }
      const decoded = decodeRequestBody(item.frame.body);
      if (!decoded.ok) {
        this.log.push({ at: Date.now(), request: { kind: "invalid", message: decoded.message } });
        this.reply(encodeResponse(sw3Of("command_error")), undefined);
        continue;
      }
      this.log.push({ at: Date.now(), request: decoded.command });
      this.handle(decoded.command);
    }
  }

  private takeFault(kind: CommandKind): ReaderFault | undefined {
    const index = this.faults.findIndex((f) => f.fault.on === undefined || f.fault.on === kind);
    const pending = this.faults[index];
    if (pending === undefined) return undefined;
    pending.left -= 1;
    if (pending.left <= 0) this.faults.splice(index, 1);
    return pending.fault;
  }

  private handle(command: ReaderCommand): void {
    const fault = this.takeFault(command.kind);
    if (fault?.kind === "no_response") return;
    if (fault?.kind === "status") {
      this.reply(encodeResponse(fault.sw3), fault);
      return;
    }
    if (fault?.kind === "remove_card_mid_read") {
      this.removeCard();
      this.reply(encodeResponse(sw3Of("card_read_failed")), undefined);
      return;
    }
    this.reply(this.answer(command), fault);
  }

  private answer(command: ReaderCommand): Uint8Array {
    if (command.kind === "reset_sam") {
      if (this.sam === "self_test_failed") this.sam = "ok";
      if (this.sam === "ok") return encodeResponse(sw3Of("success"));
    }
    if (this.sam === "self_test_failed") return encodeResponse(sw3Of("sam_self_test_failed"));
    if (this.sam === "not_authorised") return encodeResponse(sw3Of("sam_not_authorised"));
    switch (command.kind) {
      case "reset_sam":
      case "sam_status":
      case "set_max_rf_frame":
        return encodeResponse(sw3Of("success"));
      case "read_sam_id":
        return encodeResponse(sw3Of("success"), this.samId);
      case "set_baud_rate":
        this.afterReply(() => {
          this.baudRate = command.baudRate;
          this.onBaudRateChange?.(command.baudRate);
        });
        return encodeResponse(sw3Of("success"));
      case "find_card":
        this.selected = false;
        // The 4 IIN bytes are zero in every captured trace [1].
        return this.card !== null && this.findable ? encodeResponse(sw3Of("card_found"), new Uint8Array(4)) : encodeResponse(sw3Of("no_card"));
      case "select_card":
        if (this.card === null || !this.findable) return encodeResponse(sw3Of("select_failed"));
        this.selected = true;
        return encodeResponse(sw3Of("success"), new Uint8Array(8));
      case "read_base":
      case "read_base_with_fingerprint": {
        if (this.card === null || !this.selected) return encodeResponse(sw3Of("card_read_failed"));
        const { card, photo, fingerprint } = this.card;
        const data = command.kind === "read_base" ? baseMessageData(encodeCardText(card), photo) : baseMessageData(encodeCardText(card), photo, fingerprint);
        // The card stays selected, so a host may repeat a read whose reply it lost without a new
        // find/select ([?]: real SAMs may insist on find/select again; the driver copes either way).
        if (this.findAfterRead === "not_found_until_replaced") this.findable = false;
        return encodeResponse(sw3Of("success"), data);
      }
      case "read_newest_address": {
        if (this.card === null) return encodeResponse(sw3Of("card_read_failed"));
        if (this.card.newestAddress === null) return encodeResponse(sw3Of("item_empty"));
        const address = Buffer.alloc(NEWEST_ADDRESS_BYTES);
        for (let i = 0; i < NEWEST_ADDRESS_BYTES; i += 2) address.write(" ", i, "utf16le");
        address.write(this.card.newestAddress, 0, NEWEST_ADDRESS_BYTES, "utf16le");
        return encodeResponse(sw3Of("success"), address);
      }
    }
  }

  private afterReply(action: () => void): void {
    this.pendingAfterReply.push(action);
  }

  private reply(frame: Uint8Array, fault: ReaderFault | undefined): void {
    let bytes = frame;
    let delay = this.replyDelayMs;
    if (fault?.kind === "corrupt_checksum") {
      bytes = frame.slice();
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x5a;
    } else if (fault?.kind === "truncate") {
      bytes = frame.slice(0, Math.max(8, Math.floor(frame.length / 2)));
    } else if (fault?.kind === "noise") {
      bytes = Uint8Array.from([...fault.bytes, ...frame]);
    } else if (fault?.kind === "delay") {
      delay += fault.ms;
    }
    const after = this.pendingAfterReply;
    this.pendingAfterReply = [];
    const send = (): void => {
      this.sink?.(bytes);
      for (const action of after) action();
    };
    if (delay <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, delay);
    this.timers.add(timer);
  }
}
