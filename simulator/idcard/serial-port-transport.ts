import { SerialPortStream } from "@serialport/stream";
import { SerialPort } from "serialport";
import type { SerialBinding } from "./serial-binding-types.js";
import type { VirtualReader } from "./virtual-reader.js";

/**
 * The virtual reader on a real serial device (in tests, the reader's end of a socat pty pair). The
 * transport reopens the device after it vanished and came back, so a scenario can unplug (kill socat)
 * and replug (start socat on the same links) while the driver under test keeps running.
 */
export interface ReaderPortTransport {
  /** Resolves once the port is open. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export interface ReaderPortOptions {
  readonly path: string;
  readonly baudRate?: number;
  /** The serial binding (default: the platform's, through `serialport`). */
  readonly binding?: SerialBinding;
  /**
   * Pace both directions at the line rate (10 bits a byte, 8N1), as a real UART does. A pty moves
   * bytes as fast as memory, so without pacing a pty link is faster than any real reader.
   */
  readonly paceAtBaudRate?: boolean;
}

/** Delivers byte chunks no faster than `baudRate` would carry them. */
function pacedLine(baudRate: () => number, deliver: (bytes: Uint8Array) => void): (bytes: Uint8Array) => void {
  let lineFreeAt = 0;
  return (bytes) => {
    const now = performance.now();
    const done = Math.max(now, lineFreeAt) + (bytes.length * 10 * 1000) / baudRate();
    lineFreeAt = done;
    setTimeout(() => deliver(bytes), done - now);
  };
}

export function attachVirtualReaderToPort(reader: VirtualReader, options: ReaderPortOptions): ReaderPortTransport {
  const port = new SerialPortStream({ binding: options.binding ?? SerialPort.binding, path: options.path, baudRate: options.baudRate ?? 115200, autoOpen: false });
  const pace = options.paceAtBaudRate === true;
  const toReader = pace ? pacedLine(() => reader.baudRate, (bytes) => reader.receive(bytes)) : (bytes: Uint8Array) => reader.receive(bytes);
  port.on("data", (chunk: Buffer) => toReader(new Uint8Array(chunk)));
  port.on("error", () => undefined);
  port.on("close", () => reader.disconnect());
  const ready = new Promise<void>((resolve, reject) => {
    port.open((error) => {
      if (error !== null) {
        reject(error);
        return;
      }
      const write = (bytes: Uint8Array): void => {
        if (port.isOpen) port.write(Buffer.from(bytes));
      };
      reader.connect(pace ? pacedLine(() => reader.baudRate, write) : write);
      reader.onBaudRateChange = (baudRate) => port.update({ baudRate }, () => undefined);
      resolve();
    });
  });
  return {
    ready,
    close: () =>
      new Promise<void>((resolve) => {
        reader.disconnect();
        if (!port.isOpen) {
          resolve();
          return;
        }
        port.close(() => resolve());
      }),
  };
}
