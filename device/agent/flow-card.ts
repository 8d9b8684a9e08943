import { maskIdNumber, personRef } from "../../protocol/index.js";
import { cardHolderName, type IdCard } from "../idcard/id-card.js";
import type { FlowCard } from "../flows/flow-types.js";

/**
 * The edge between the reader and the flows: a decoded card becomes a pseudonymous ref (HMAC under
 * the deployment's pseudonym key) and masked forms for the screen. The raw ID number goes no
 * further than this function.
 */
export function flowCardOf(card: IdCard, pseudonymKey: Uint8Array, pseudonymKeyId: string): FlowCard {
  const masked = maskIdNumber(card.idNumber);
  return {
    cardType: card.cardType,
    ref: personRef(card.idNumber, pseudonymKey),
    refKey: pseudonymKeyId,
    masked,
    person: { maskedName: maskHolderName(cardHolderName(card)), maskedId: masked },
  };
}

/**
 * Names as Chinese hospital screens mask them: two characters keep the first (王*), three or more
 * keep the first and the last (张*三); code points, so names outside the BMP mask correctly. (The
 * gateway's billing import masks the same way; device/ and gateway/ do not import each other.)
 */
export function maskHolderName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return "*";
  const first = chars[0] ?? "";
  if (chars.length === 2) return `${first}*`;
  return first + "*".repeat(chars.length - 2) + (chars[chars.length - 1] ?? "");
}
