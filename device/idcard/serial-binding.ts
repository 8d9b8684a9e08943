import type { SerialPortStream } from "@serialport/stream";

/*
 * The serial binding the driver is given (STYLE.md: hardware behind narrow, injected ports):
 * production passes serialport's platform binding, tests the mock binding or a pty. serialport's
 * binding packages ship CommonJS typings an ESM import cannot see, so the type is derived from
 * @serialport/stream's constructor.
 */
export type SerialBinding = ConstructorParameters<typeof SerialPortStream>[0]["binding"];
