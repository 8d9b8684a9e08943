import { SerialPortStream } from "@serialport/stream";
import type { SerialBinding } from "./serial-binding.js";

/** One open serial port: bytes in, bytes out, one notice when it goes away. 8N1 per the reference ("Line"). */
export interface SerialLink {
  write(bytes: Uint8Array): Promise<void>;
  setBaudRate(baudRate: number): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

export interface SerialLinkHandlers {
  onData(chunk: Uint8Array): void;
  /** The port closed without our asking (unplug, I/O error). */
  onLost(error: Error): void;
}

export function openSerialLink(binding: SerialBinding, path: string, baudRate: number, handlers: SerialLinkHandlers): Promise<SerialLink> {
  const port = new SerialPortStream({ binding, path, baudRate, dataBits: 8, parity: "none", stopBits: 1, autoOpen: false });
  let closing = false;
  port.on("data", (chunk: Buffer) => handlers.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  // Errors after open are followed by 'close' (serialport's disconnect path); the link reports that once.
  port.on("error", () => undefined);
  port.on("close", (error: Error | null) => {
    if (!closing) handlers.onLost(error ?? new Error("port closed"));
  });
  return new Promise((resolve, reject) => {
    port.open((error) => {
      if (error !== null) {
        reject(error);
        return;
      }
      resolve({
        get isOpen() {
          return port.isOpen;
        },
        write: (bytes) =>
          new Promise<void>((done, fail) => {
            port.write(Buffer.from(bytes), (writeError) => (writeError ? fail(writeError) : done()));
          }),
        setBaudRate: (rate) => new Promise<void>((done, fail) => port.update({ baudRate: rate }, (updateError) => (updateError ? fail(updateError) : done()))),
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            if (!port.isOpen) {
              done();
              return;
            }
            port.close(() => done());
          }),
      });
    });
  });
}
