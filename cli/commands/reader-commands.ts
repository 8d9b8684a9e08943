import { readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { SerialPort } from "serialport";
import { decodeCapture, parseHexCapture, type CaptureItem } from "../../device/idcard/capture-decoder.js";
import { BAUD_RATES, toHex, type BaudRate, type IdCard, type ResponsePayload } from "../../device/idcard/codec.js";
import { IdCardReader, type CardPresentation } from "../../device/idcard/id-card-reader.js";
import type { ReaderError } from "../../device/idcard/reader-error.js";
import type { SerialBinding } from "../../device/idcard/serial-binding.js";
import { maskIdNumber } from "../../protocol/pseudonym.js";

/** What the commands need from outside; tests pass the mock binding and capture output. */
export interface ReaderCommandDependencies {
  readonly binding?: SerialBinding;
  readonly write?: (text: string) => void;
  /** Progress for people (stderr by default); results go to `write`. */
  readonly log?: (line: string) => void;
}

interface PortFlags {
  port: string;
  baud: string;
  json?: boolean;
}

/**
 * A card as printed: the ID number (and the permit's pass number) masked with protocol/pseudonym.ts
 * maskIdNumber unless the technician passes --reveal. Nothing prints a raw number otherwise.
 */
export function cardForOutput(card: IdCard, reveal: boolean): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...card, idNumber: reveal ? card.idNumber : maskIdNumber(card.idNumber) };
  if (card.cardType === "hk_mo_tw_residence_permit" && !reveal) shown.passNumber = maskIdNumber(card.passNumber);
  return shown;
}

function payloadForOutput(payload: ResponsePayload): Record<string, unknown> {
  switch (payload.kind) {
    case "base_message":
      return { kind: payload.kind, textBytes: payload.text.length, photoBytes: payload.photo.length, fingerprintBytes: payload.fingerprint?.length ?? null };
    case "sam_id":
      return { kind: payload.kind, samId: payload.samId.text, samIdHex: payload.samId.hex };
    case "card_found":
      return { kind: payload.kind, iin: toHex(payload.iin, "") };
    case "card_selected":
      return { kind: payload.kind, serial: toHex(payload.serial, "") };
    case "newest_address":
      return { kind: payload.kind, address: payload.address };
    case "opaque":
      return { kind: payload.kind, bytes: payload.data.length };
    case "status_only":
      return { kind: payload.kind };
  }
}

/** One capture item as a JSON-able object (what `decode --json` prints per line). */
export function captureItemForOutput(item: CaptureItem, reveal: boolean): Record<string, unknown> {
  switch (item.kind) {
    case "request":
      return { offset: item.offset, kind: "request", command: item.command };
    case "error":
      return { offset: item.offset, kind: "error", code: item.code, message: item.message, bytes: item.bytes };
    case "response": {
      const { sw1, sw2, status } = item.response;
      const out: Record<string, unknown> = { offset: item.offset, kind: "response", answers: item.answers, sw1, sw2, sw3: status.sw3, status: status.code, message: status.message, payload: payloadForOutput(item.response.payload) };
      if (item.card !== undefined) {
        out.card = item.card.ok
          ? cardForOutput(item.card.card, reveal)
          : { error: { code: item.card.error.code, message: item.card.error.message, field: item.card.error.field }, ...(item.card.error.card === undefined ? {} : { asRead: cardForOutput(item.card.error.card, reveal) }) };
      }
      return out;
    }
  }
}

function captureLine(item: CaptureItem, reveal: boolean): string {
  const at = `@${String(item.offset).padEnd(7)}`;
  switch (item.kind) {
    case "request": {
      const { kind, ...params } = item.command;
      return `${at} → ${kind}${Object.keys(params).length > 0 ? ` ${JSON.stringify(params)}` : ""}`;
    }
    case "error":
      return `${at} !! ${item.code}: ${item.message}`;
    case "response": {
      const { sw1, sw2, status } = item.response;
      const sw = [sw1, sw2, status.sw3].map((b) => b.toString(16).padStart(2, "0")).join(" ");
      const head = `${at} ← ${item.answers ?? "(reply)"}: ${status.message} [SW ${sw}]`;
      const payload = item.response.payload;
      const detail = payload.kind === "status_only" ? "" : ` ${JSON.stringify(payloadForOutput(payload))}`;
      if (item.card === undefined) return head + detail;
      const card = item.card.ok ? cardForOutput(item.card.card, reveal) : { error: item.card.error.message, asRead: item.card.error.card === undefined ? null : cardForOutput(item.card.error.card, reveal) };
      return `${head}${detail}\n${" ".repeat(11)}card ${JSON.stringify(card)}`;
    }
  }
}

function baudOf(text: string): BaudRate {
  const rate = Number(text);
  const known = BAUD_RATES.find((b) => b === rate);
  if (known === undefined) throw new Error(`--baud must be one of ${BAUD_RATES.join(", ")}`);
  return known;
}

function presentationForOutput(p: CardPresentation, reveal: boolean): Record<string, unknown> {
  return {
    samId: p.samId,
    readAt: p.readAt.toISOString(),
    readMs: p.readMs,
    card: cardForOutput(p.card, reveal),
    photoBytes: p.photo.length,
    fingerprintBytes: p.fingerprint?.length ?? null,
    newestAddress: p.newestAddress,
  };
}

function rejectionForOutput(error: ReaderError & { readonly card?: IdCard }, reveal: boolean): Record<string, unknown> {
  return { rejected: { code: error.code, message: error.message }, ...(error.card === undefined ? {} : { asRead: cardForOutput(error.card, reveal) }) };
}

export function readerCommand(dependencies: ReaderCommandDependencies = {}): Command {
  const write = dependencies.write ?? ((text: string) => process.stdout.write(text));
  const log = dependencies.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const binding = dependencies.binding ?? SerialPort.binding;
  const reader = new Command("reader").description("Technician tools for the resident-ID-card reader (GA 467 SAM protocol over a serial port).");
  const portOptions = (command: Command): Command =>
    command
      .requiredOption("--port <path>", "serial port of the reader, e.g. /dev/ttyUSB0")
      .addOption(new Option("--baud <rate>", "line rate the reader listens at").choices(BAUD_RATES.map(String)).default("115200"))
      .option("--json", "print one JSON object");

  const probe = portOptions(new Command("probe").description("Connect, check the SAM and print its status and id."));
  probe.action(async (flags: PortFlags) => {
    const device = new IdCardReader({ path: flags.port, baudRate: baudOf(flags.baud), binding, retries: 1 });
    try {
      const result = await device.probe();
      const out = { port: flags.port, baudRate: Number(flags.baud), connected: result.error === null, samStatus: result.samStatus, samId: result.samId, error: result.error?.toJSON() ?? null };
      if (flags.json === true) write(`${JSON.stringify(out)}\n`);
      else if (result.error !== null) write(`${flags.port}: ${result.error.message}\n`);
      else write(`${flags.port} at ${flags.baud} baud\nSAM status: ${result.samStatus?.message ?? "unknown"} (SW3 ${result.samStatus?.sw3.toString(16) ?? "?"})\nSAM id:     ${result.samId?.text ?? "unreadable"} (${result.samId?.hex ?? "-"})\n`);
      if (result.error !== null || result.samStatus?.ok !== true) process.exitCode = 1;
    } finally {
      await device.stop();
    }
  });

  const read = portOptions(new Command("read").description("Wait for a card and print it as JSON (ID number masked unless --reveal). Exit code 1: no reader or no card in time; 2: the card was rejected (for example its ID number fails the check)."))
    .option("--reveal", "print the ID number unmasked")
    .option("--timeout <seconds>", "give up after this long without a card", "30");
  read.action(async (flags: PortFlags & { reveal?: boolean; timeout: string }) => {
    const reveal = flags.reveal === true;
    const device = new IdCardReader({ path: flags.port, baudRate: baudOf(flags.baud), binding, pollIntervalMs: 300, readNewestAddress: true });
    const print = (value: Record<string, unknown>): void => write(`${flags.json === true ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
    try {
      // Fail fast on a wrong port or a dead reader instead of polling until the timeout.
      const probe = await device.probe();
      if (probe.error !== null) {
        print({ error: probe.error.message, code: probe.error.code });
        process.exitCode = 1;
        return;
      }
      log(`waiting up to ${flags.timeout} s for a card on ${flags.port} (SAM ${probe.samId?.text ?? "id unreadable"}, ${probe.samStatus?.message ?? "status unknown"})`);
      const outcome = await new Promise<{ kind: "card"; value: CardPresentation } | { kind: "rejected"; value: ReaderError & { card?: IdCard } } | { kind: "timeout" }>((resolve) => {
        const timer = setTimeout(() => resolve({ kind: "timeout" }), Number(flags.timeout) * 1000);
        device.once("presented", (value) => {
          clearTimeout(timer);
          resolve({ kind: "card", value });
        });
        device.once("rejected", (value) => {
          clearTimeout(timer);
          resolve({ kind: "rejected", value });
        });
        device.start();
      });
      if (outcome.kind === "card") print(presentationForOutput(outcome.value, reveal));
      else if (outcome.kind === "rejected") {
        print(rejectionForOutput(outcome.value, reveal));
        process.exitCode = 2;
      } else {
        print({ error: "no card within the timeout", health: device.health() });
        process.exitCode = 1;
      }
    } finally {
      await device.stop();
    }
  });

  const decode = new Command("decode")
    .description("Decode a captured byte stream (hex text, either direction): every request, response and decoding error, with card fields.")
    .requiredOption("--hex <file>", "file holding the capture as hex text; spaces and newlines allowed")
    .option("--json", "one JSON object per line per frame or error")
    .option("--reveal", "print ID numbers unmasked");
  decode.action(async (flags: { hex: string; json?: boolean; reveal?: boolean }) => {
    const parsed = parseHexCapture(await readFile(flags.hex, "utf8"));
    if (!parsed.ok) throw new Error(`${flags.hex}: ${parsed.message}`);
    const items = decodeCapture(parsed.bytes);
    const reveal = flags.reveal === true;
    for (const item of items) write(`${flags.json === true ? JSON.stringify(captureItemForOutput(item, reveal)) : captureLine(item, reveal)}\n`);
    if (flags.json !== true) {
      const frames = items.filter((i) => i.kind !== "error").length;
      write(`${parsed.bytes.length} byte(s): ${frames} frame(s), ${items.length - frames} error(s)\n`);
    }
  });

  return reader.addCommand(probe).addCommand(read).addCommand(decode);
}
