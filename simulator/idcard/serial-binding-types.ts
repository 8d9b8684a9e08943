import type { SerialPortStream } from "@serialport/stream";
import { SerialPortMock } from "serialport";

/*
 * serialport's binding packages ship CommonJS typings that an ESM import cannot see (their
 * "exports" map has no types), so the binding types are derived from @serialport/stream's
 * constructor, whose typings resolve.
 */
export type SerialBinding = ConstructorParameters<typeof SerialPortStream>[0]["binding"];
export type SerialBindingPort = Awaited<ReturnType<SerialBinding["open"]>>;
export type SerialOpenOptions = Parameters<SerialBinding["open"]>[0];
export type SerialPortInfo = Awaited<ReturnType<SerialBinding["list"]>>[number];
export type SerialUpdateOptions = Parameters<SerialBindingPort["update"]>[0];
export type SerialSetOptions = Parameters<SerialBindingPort["set"]>[0];
export type SerialPortStatus = Awaited<ReturnType<SerialBindingPort["get"]>>;

/** @serialport/binding-mock's MockBinding, as serialport re-exports it. */
export const MockBinding = SerialPortMock.binding;
export type MockPortBinding = Awaited<ReturnType<typeof MockBinding.open>>;
