import { encodeRequestFrame } from "./frame-encoder.js";

/**
 * The reader's commands (idcard-protocol.md, "Commands"). Every request is CMD PARA [DATA].
 * Mistakes seen in public code that this table does not copy: SAM status as 12 (it is 11),
 * reset as 01 (it is 10 FF).
 */
export const COMMAND_KINDS = [
  "reset_sam",
  "sam_status",
  "read_sam_id",
  "find_card",
  "select_card",
  "read_base",
  "read_base_with_fingerprint",
  "read_newest_address",
  "set_baud_rate",
  "set_max_rf_frame",
] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/** PARA of `60 xx`: 00=115200, 01=57600, 02=38400, 03=19200, 04=9600 ([1]: one source). */
export const BAUD_RATES = [115200, 57600, 38400, 19200, 9600] as const;
export type BaudRate = (typeof BAUD_RATES)[number];

export type ReaderCommand =
  | { readonly kind: Exclude<CommandKind, "set_baud_rate" | "set_max_rf_frame"> }
  | { readonly kind: "set_baud_rate"; readonly baudRate: BaudRate }
  | { readonly kind: "set_max_rf_frame"; readonly bytes: number };

const FIXED: Readonly<Record<Exclude<CommandKind, "set_baud_rate" | "set_max_rf_frame">, readonly [number, number]>> = {
  reset_sam: [0x10, 0xff],
  sam_status: [0x11, 0xff],
  read_sam_id: [0x12, 0xff],
  find_card: [0x20, 0x01],
  select_card: [0x20, 0x02],
  read_base: [0x30, 0x01],
  read_base_with_fingerprint: [0x30, 0x10],
  read_newest_address: [0x30, 0x03],
};

/** The body (CMD PARA DATA) of a command's request frame. */
export function commandBody(command: ReaderCommand): Uint8Array {
  switch (command.kind) {
    case "set_baud_rate":
      return Uint8Array.of(0x60, BAUD_RATES.indexOf(command.baudRate));
    case "set_max_rf_frame":
      if (!Number.isInteger(command.bytes) || command.bytes < 1 || command.bytes > 0xff) throw new RangeError(`max RF frame ${command.bytes} is not 1-255`);
      return Uint8Array.of(0x61, 0xff, command.bytes);
    default:
      return Uint8Array.from(FIXED[command.kind]);
  }
}

/** The whole request frame for a command. */
export function encodeCommand(command: ReaderCommand): Uint8Array {
  const body = commandBody(command);
  return encodeRequestFrame(body[0] ?? 0, body[1] ?? 0, body.subarray(2));
}

export type RequestDecodeResult = { readonly ok: true; readonly command: ReaderCommand } | { readonly ok: false; readonly message: string };

/** A request body back to its command; an unknown CMD PARA is a value, not an exception. */
export function decodeRequestBody(body: Uint8Array): RequestDecodeResult {
  const [cmd, para, ...data] = body;
  if (cmd === undefined || para === undefined) return { ok: false, message: `request body of ${body.length} byte(s) has no CMD PARA` };
  if (cmd === 0x60 && data.length === 0) {
    const baudRate = BAUD_RATES[para];
    return baudRate === undefined ? { ok: false, message: `set baud rate with unknown PARA ${hex(para)}` } : { ok: true, command: { kind: "set_baud_rate", baudRate } };
  }
  if (cmd === 0x61 && para === 0xff && data.length === 1 && data[0] !== undefined && data[0] > 0) {
    return { ok: true, command: { kind: "set_max_rf_frame", bytes: data[0] } };
  }
  if (data.length === 0) {
    for (const [kind, [c, p]] of Object.entries(FIXED) as [keyof typeof FIXED, readonly [number, number]][]) {
      if (c === cmd && p === para) return { ok: true, command: { kind } };
    }
  }
  return { ok: false, message: `unknown command ${hex(cmd)} ${hex(para)}${data.length > 0 ? ` with ${data.length} data byte(s)` : ""}` };
}

/**
 * Whether a frame body is shaped like a request rather than a response. A request body is a known
 * CMD PARA (2 bytes, 3 for `61 FF xx`); a response body is at least SW1 SW2 SW3 and SW1 is 00 in
 * every captured trace. A response `61 FF xx` with no data would be misread, and none is known.
 */
export function looksLikeRequest(body: Uint8Array): boolean {
  return body.length <= 3 && decodeRequestBody(body).ok;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
