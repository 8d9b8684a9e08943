import { z } from "zod";

/**
 * Identifiers that appear both in topics and in payloads. They are restricted to characters that are
 * safe in an MQTT topic level (no `/`, `+`, `#`, `$`, NUL; MQTT-4.7.1) and in URLs, so no escaping is
 * ever needed.
 */
export const TOPIC_SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const SiteId = z
  .string()
  .regex(TOPIC_SAFE, "site id: 1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit")
  .describe("Institution (hospital) identifier, e.g. the insurer's institution code.");
export type SiteId = z.infer<typeof SiteId>;

export const BoxId = z
  .string()
  .regex(TOPIC_SAFE, "box id: 1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit")
  .describe("Edge box identifier, unique across the deployment.");
export type BoxId = z.infer<typeof BoxId>;

/** Globally unique event identifier: a UUIDv7 (RFC 9562), time-ordered, minted by the box. */
export const EventId = z.uuid({ version: "v7" }).describe("UUIDv7 (RFC 9562) minted by the box.");
export type EventId = z.infer<typeof EventId>;

/** Pseudonymous person reference: lowercase hex HMAC-SHA256 (see pseudonym.ts). */
export const PersonRef = z
  .string()
  .regex(/^[0-9a-f]{64}$/, "person ref: 64 lowercase hex characters (HMAC-SHA256)")
  .describe("HMAC-SHA256 of the normalised ID number under the deployment's pseudonym key, lowercase hex.");
export type PersonRef = z.infer<typeof PersonRef>;

export const PseudonymKeyId = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,32}$/, "pseudonym key id: 1-32 of A-Z a-z 0-9 _ . -")
  .describe("Which deployment pseudonym key produced the person refs, so keys can be rotated.");

/** ISO 8601 timestamp with an explicit offset (`Z` or `+08:00`). */
export const Timestamp = z.iso.datetime({ offset: true }).describe("RFC 3339 timestamp with offset.");
