import { z } from "zod";
import { BehaviourSettings, RosterEntry } from "../../firmware-config/box-settings.js";
import { BoxId, SiteId, Timestamp } from "../identifiers.js";
import { PROTOCOL_VERSION } from "../version.js";

/**
 * Remote configuration, retained on `cw/v1/{site}/{box}/config` by the gateway, so a box that
 * connects gets its current configuration at once. Secrets (the box's signing key, the pseudonym key,
 * template keys) are never sent here: they are provisioned once, out of band.
 */
export const ConfigMessage = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    site: SiteId,
    box: BoxId,
    revision: z.number().int().min(1).describe("Increases with every change; a box ignores an older revision."),
    issuedAt: Timestamp,
    settings: BehaviourSettings,
    roster: z.array(RosterEntry).max(2000).describe("Beds a ward-round box may pick from; empty for dialysis stations."),
  })
  .describe("Retained configuration from the gateway to one box.");
export type ConfigMessage = z.infer<typeof ConfigMessage>;
