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
}

export function attachVirtualReaderToPort(reader: VirtualReader, options: ReaderPortOptions): ReaderPortTransport {
  const port = new SerialPortStream({ binding: options.binding ?? SerialPort.binding, path: options.path, baudRate: options.baudRate ?? 115200, autoOpen: false });
  port.on("data", (chunk: Buffer) => reader.receive(new Uint8Array(chunk)));
  port.on("error", () => undefined);
  port.on("close", () => reader.disconnect());
  const ready = new Promise<void>((resolve, reject) => {
    port.open((error) => {
      if (error !== null) {
        reject(error);
        return;
      }
      reader.connect((bytes) => port.write(Buffer.from(bytes)));
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
