/**
 * The deployment pseudonym key from --pseudonym-key / CAREWITNESS_PSEUDONYM_KEY, as hex. Billing ID
 * numbers are hashed under it (protocol personRef), so it must be the key the boxes use, or nothing
 * billed will match any event.
 */
export function pseudonymKeyOf(text: string | undefined): Uint8Array {
  if (text === undefined) throw new Error("--pseudonym-key (or CAREWITNESS_PSEUDONYM_KEY) is required: billing ID numbers must be hashed with the deployment's key to match the events");
  if (!/^(?:[0-9a-fA-F]{2}){32,}$/.test(text)) throw new Error("--pseudonym-key must be at least 32 bytes as hex");
  return Buffer.from(text, "hex");
}
