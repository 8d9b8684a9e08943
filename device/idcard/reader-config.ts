import { z } from "zod";
import { DEFAULT_TIMEOUTS_MS } from "./command-channel.js";
import { BAUD_RATES, COMMAND_KINDS } from "./reader-commands.js";

const BaudRate = z.union(BAUD_RATES.map((rate) => z.literal(rate)) as [z.ZodLiteral<115200>, ...z.ZodLiteral<(typeof BAUD_RATES)[number]>[]]);

/**
 * The ID-card reader's part of the box configuration (STYLE.md: one zod schema with defaults and
 * documentation, unknown keys refused). `IdCardReader` takes the parsed object plus the serial binding.
 */
export const IdCardReaderConfig = z
  .object({
    path: z.string().min(1).describe("Serial port of the reader, e.g. /dev/ttyUSB0."),
    baudRate: BaudRate.default(115200).describe("Rate the reader listens at; 115200 is its factory setting."),
    negotiateBaudRate: BaudRate.optional().describe("Switch the reader to this rate after connecting (60 xx)."),
    pollIntervalMs: z.number().int().min(1).max(60_000).default(1000).describe("Time between find-card polls."),
    samStatusIntervalMs: z.number().int().min(1).max(3_600_000).default(3000).describe("SAM status check interval."),
    timeoutsMs: z
      .partialRecord(z.enum(COMMAND_KINDS), z.number().int().min(1).max(60_000))
      .default({})
      .describe(`Reply timeout per command; defaults ${JSON.stringify(DEFAULT_TIMEOUTS_MS)}.`),
    retries: z.number().int().min(0).max(10).default(2).describe("Extra attempts after a timeout or damaged reply."),
    reconnectDelayMs: z.number().int().min(1).max(60_000).default(250).describe("First delay before reopening a lost port; doubles."),
    maxReconnectDelayMs: z.number().int().min(1).max(600_000).default(5000).describe("Longest delay between reopen attempts."),
    removalMisses: z.number().int().min(1).max(20).default(2).describe("Empty polls in a row before a card counts as removed."),
    reopenAfterErrors: z.number().int().min(1).max(100).default(3).describe("Reader errors in a row before the port is reopened."),
    maxRfFrameBytes: z.number().int().min(1).max(255).optional().describe("Send 61 FF n once at start."),
    readFingerprint: z.boolean().default(false).describe("Read with fingerprint (30 10)."),
    readNewestAddress: z.boolean().default(false).describe("Read the appended address (30 03) of each new card."),
  })
  .strict();
export type IdCardReaderConfig = z.infer<typeof IdCardReaderConfig>;
