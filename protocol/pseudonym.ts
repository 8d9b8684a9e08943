import { createHmac } from "node:crypto";

/**
 * Identity on the wire is pseudonymous. A person is referred to by the HMAC-SHA256 of their
 * normalised ID number under a deployment secret (the pseudonym key) that the gateway provisions to
 * boxes; billing exports are hashed the same way on import, so both sides match without the wire or
 * the event store ever holding the number.
 */

/**
 * Normalisation: Unicode NFKC (full-width digits from Chinese input methods become ASCII), spaces and
 * hyphens removed, letters upper-cased (the resident ID's check character `x` becomes `X`).
 */
export function normaliseIdNumber(raw: string): string {
  return raw.normalize("NFKC").replace(/[\s-]/g, "").toUpperCase();
}

export function personRef(idNumber: string, pseudonymKey: Uint8Array): string {
  const normalised = normaliseIdNumber(idNumber);
  if (normalised.length === 0) throw new RangeError("personRef: empty ID number");
  if (pseudonymKey.length < 32) throw new RangeError("personRef: pseudonym key must be at least 32 bytes");
  return createHmac("sha256", pseudonymKey).update(normalised, "utf8").digest("hex");
}

/**
 * Display mask: the first four and last four characters stay, the rest become `*`
 * (`110101199003071234` → `1101**********1234`). Numbers of 8 to 11 characters keep two at each end and
 * shorter ones are masked whole, so a short permit number is never readable from its mask. At least
 * four characters are always masked, as MASKED_ID_PATTERN requires (an 11-character number keeping four
 * at each end would mask only three).
 */
export function maskIdNumber(idNumber: string): string {
  const n = normaliseIdNumber(idNumber);
  const keep = n.length >= 12 ? 4 : n.length >= 8 ? 2 : 0;
  if (keep === 0) return "*".repeat(Math.max(n.length, 4));
  return n.slice(0, keep) + "*".repeat(n.length - 2 * keep) + n.slice(n.length - keep);
}

/** The masked form as accepted on the wire: up to four digits/letters at each end, at least four `*` inside. */
export const MASKED_ID_PATTERN = /^[0-9A-Z]{0,4}\*{4,}[0-9A-Z]{0,4}$/;
