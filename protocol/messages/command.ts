import { z } from "zod";
import { PersonRef, Timestamp } from "../identifiers.js";
import { PROTOCOL_VERSION } from "../version.js";

/**
 * Commands from the gateway to one box on `cw/v1/{site}/{box}/commands`, answered on
 * `cw/v1/{site}/{box}/responses` in one envelope (status, data, error) keyed by the command id, as
 * zigbee2mqtt answers requests. A box executes a command id at most once and ignores expired ones.
 */
export const COMMANDS = ["report_health", "resend_outbox", "sync_templates", "restart_agent", "watch_list_update"] as const;

/** A card (and, where enrolled, its face template) a confirmed impersonation put on watch. */
export const WatchListEntry = z
  .strictObject({
    cardRef: PersonRef,
    faceTemplateId: z
      .string()
      .min(1)
      .max(80)
      .nullable()
      .describe("The face that used the card, where it is enrolled: the person ref whose enrolled template (the box's current model) is on watch. A box that holds this template requires a staff check whenever the face is seen, whatever the card; null when the face was not identified."),
  })
  .describe("A watch-listed card: presenting it requires a staff check whatever the face score.");
export type WatchListEntry = z.infer<typeof WatchListEntry>;

export const CommandMessage = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    id: z.uuid(),
    issuedAt: Timestamp,
    expiresAt: Timestamp,
    command: z.enum(COMMANDS),
    args: z
      .strictObject({
        fromSeq: z.number().int().min(1).optional(),
        watchList: z.array(WatchListEntry).max(10_000).optional(),
      })
      .describe("resend_outbox: republish events from this sequence number on. watch_list_update: the institution's whole watch list, replacing the previous one."),
  })
  .describe("A command from the gateway to one box.");
export type CommandMessage = z.infer<typeof CommandMessage>;

export const CommandResponseMessage = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    commandId: z.uuid(),
    at: Timestamp,
    status: z.enum(["ok", "error", "rejected", "expired"]),
    error: z.string().max(500).nullable(),
    data: z.record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])),
  })
  .describe("A box's answer to a command.");
export type CommandResponseMessage = z.infer<typeof CommandResponseMessage>;
