import {
  MockBinding,
  type MockPortBinding,
  type SerialBinding as BindingInterface,
  type SerialBindingPort as BindingPortInterface,
  type SerialOpenOptions as OpenOptions,
  type SerialPortInfo as PortInfo,
  type SerialPortStatus as PortStatus,
  type SerialSetOptions as SetOptions,
  type SerialUpdateOptions as UpdateOptions,
} from "./serial-binding-types.js";
import type { VirtualReader } from "./virtual-reader.js";

/**
 * The virtual reader in-process, behind serialport's mock binding (@serialport/binding-mock): the
 * driver opens `path` through the returned binding exactly as it would open /dev/ttyUSB0. Bytes the
 * driver writes go to the reader; the reader's replies are emitted on the mock port.
 *
 * `unplug()` is a USB unplug: the driver's pending read fails with a non-cancel error (serialport
 * reports a disconnect) and the port cannot be opened until `replug()`.
 */
export interface VirtualReaderBinding {
  readonly binding: BindingInterface;
  readonly path: string;
  unplug(): void;
  replug(): void;
  /** How many times the driver opened the port. */
  readonly opens: number;
}

class DisconnectedError extends Error {
  readonly disconnected = true;
}

class VirtualReaderPort implements BindingPortInterface {
  private rejectRead: ((error: Error) => void) | undefined;
  /** The host side's line rate; bytes sent at another rate than the reader's never make sense to it. */
  private hostBaudRate: number;

  constructor(
    private readonly inner: MockPortBinding,
    private readonly reader: VirtualReader,
    private readonly isPlugged: () => boolean,
  ) {
    this.hostBaudRate = inner.openOptions.baudRate;
    reader.connect((bytes) => {
      if (this.inner.isOpen) this.inner.emitData(Buffer.from(bytes));
    });
  }

  get openOptions(): Required<OpenOptions> {
    return this.inner.openOptions;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  /** Called by unplug: fail the pending read as the kernel does when a USB device vanishes. */
  vanish(): void {
    this.reader.disconnect();
    const reject = this.rejectRead;
    this.rejectRead = undefined;
    // The mock port stays open until serialport closes it in its disconnect path: closing it here
    // would make serialport treat the failed read as a deliberate close and report nothing.
    reject?.(new DisconnectedError("device disconnected (virtual unplug)"));
  }

  async close(): Promise<void> {
    this.reader.disconnect();
    if (this.inner.isOpen) await this.inner.close();
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.isPlugged()) return Promise.reject(new DisconnectedError("device disconnected (virtual unplug)"));
    return new Promise((resolve, reject) => {
      this.rejectRead = reject;
      this.inner.read(buffer, offset, length).then(
        (result) => {
          this.rejectRead = undefined;
          resolve(result);
        },
        (error: unknown) => {
          this.rejectRead = undefined;
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isPlugged()) throw new DisconnectedError("device disconnected (virtual unplug)");
    await this.inner.write(buffer);
    // At mismatched rates the UART sees framing errors, not bytes: the reader hears nothing it can decode.
    if (this.hostBaudRate === this.reader.baudRate) this.reader.receive(new Uint8Array(buffer));
  }

  async update(options: UpdateOptions): Promise<void> {
    await this.inner.update(options);
    this.hostBaudRate = options.baudRate;
  }
  set(options: SetOptions): Promise<void> {
    return this.inner.set(options);
  }
  get(): Promise<PortStatus> {
    return this.inner.get();
  }
  getBaudRate(): Promise<{ baudRate: number }> {
    return this.inner.getBaudRate();
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  drain(): Promise<void> {
    return this.inner.drain();
  }
}

export function virtualReaderMockBinding(reader: VirtualReader, path: string): VirtualReaderBinding {
  MockBinding.createPort(path, { echo: false, record: false });
  let plugged = true;
  let current: VirtualReaderPort | undefined;
  let opens = 0;
  const binding: BindingInterface = {
    async list(): Promise<PortInfo[]> {
      const ports = await MockBinding.list();
      return plugged ? ports.filter((p) => p.path === path) : [];
    },
    async open(options: OpenOptions): Promise<BindingPortInterface> {
      if (options.path !== path) throw new Error(`no such port ${options.path}`);
      if (!plugged) throw new Error(`cannot open ${path}: no such device`);
      const inner = await MockBinding.open(options);
      opens += 1;
      current = new VirtualReaderPort(inner, reader, () => plugged);
      return current;
    },
  };
  return {
    binding,
    path,
    get opens() {
      return opens;
    },
    unplug() {
      plugged = false;
      current?.vanish();
      current = undefined;
    },
    replug() {
      plugged = true;
    },
  };
}
