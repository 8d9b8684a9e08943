import { describe, expect, it } from "vitest";
import { IdCardReaderConfig } from "./reader-config.js";

describe("IdCardReaderConfig", () => {
  it("fills the documented defaults", () => {
    expect(IdCardReaderConfig.parse({ path: "/dev/ttyUSB0" })).toEqual({
      path: "/dev/ttyUSB0",
      baudRate: 115200,
      pollIntervalMs: 1000,
      samStatusIntervalMs: 3000,
      timeoutsMs: {},
      retries: 2,
      reconnectDelayMs: 250,
      maxReconnectDelayMs: 5000,
      removalMisses: 2,
      reopenAfterErrors: 3,
      readFingerprint: false,
      readNewestAddress: false,
    });
  });

  it("refuses unknown keys, rates the reader does not have and unknown commands", () => {
    expect(IdCardReaderConfig.safeParse({ path: "/dev/ttyUSB0", baud: 9600 }).success).toBe(false);
    expect(IdCardReaderConfig.safeParse({ path: "/dev/ttyUSB0", baudRate: 14400 }).success).toBe(false);
    expect(IdCardReaderConfig.safeParse({ path: "/dev/ttyUSB0", timeoutsMs: { beep: 10 } }).success).toBe(false);
    expect(IdCardReaderConfig.parse({ path: "/dev/ttyUSB0", baudRate: 9600, timeoutsMs: { read_base: 2500 } })).toMatchObject({ baudRate: 9600, timeoutsMs: { read_base: 2500 } });
  });
});
