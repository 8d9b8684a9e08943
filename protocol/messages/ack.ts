import { z } from "zod";
import { BoxId, EventId, Timestamp } from "../identifiers.js";
import { PROTOCOL_VERSION } from "../version.js";
import { QUARANTINE_REASONS } from "../quarantine-reasons.js";

/**
 * The gateway's acknowledgement of events, on `cw/v1/{site}/{box}/acks`. It is published only after
 * the gateway has durably stored the outcome (the event, or its quarantine record), so the box may
 * delete an event from its outbox when — and only when — it sees it here. The broker's PUBACK means
 * nothing more than "the broker has it".
 */
export const ACK_RESULTS = ["stored", "duplicate", "quarantined"] as const;

const ackedEvent = {
  id: EventId,
  seq: z.number().int().min(1),
  payloadSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "payload sha256: 64 lowercase hex characters")
    .describe(
      "SHA-256 of the exact payload bytes acknowledged. A box deletes an outbox entry only if this equals the hash of the bytes it published, so a forged or tampered copy under the same id can never make a box drop its real event.",
    ),
};

/** One acknowledged event: `reason` is set exactly when the result is `quarantined` (a union, so JSON Schema says so too). */
export const AckEntry = z.union([
  z.strictObject({
    ...ackedEvent,
    result: z.enum(["stored", "duplicate"]).describe("stored: newly stored; duplicate: stored before, nothing changed."),
    reason: z.null(),
  }),
  z.strictObject({
    ...ackedEvent,
    result: z.literal("quarantined").describe("quarantined: recorded as rejected; the box may drop it."),
    reason: z.enum(QUARANTINE_REASONS).describe("Why the event was quarantined."),
  }),
]);
export type AckEntry = z.infer<typeof AckEntry>;

export const AckMessage = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    box: BoxId,
    at: Timestamp,
    acks: z.array(AckEntry).min(1).max(1000),
  })
  .describe("Acknowledges one or more events of one box after they are durably stored.");
export type AckMessage = z.infer<typeof AckMessage>;
