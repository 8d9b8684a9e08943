import { CARD_TYPE_SLOT, FOREIGN_2017_LAYOUT, FOREIGN_2023_LAYOUT, LONG_TERM, PERMIT_LAYOUT, RESIDENT_LAYOUT, TEXT_BYTES, type Slot } from "./card-text-layout.js";
import type { CardDate, CardValidTo, IdCard } from "./id-card.js";

/**
 * A typed card back to its 256-byte text block, as a reader returns it: UCS-2LE, every field padded
 * with spaces. Used by the virtual reader and by round-trip tests; the golden tests do not use it.
 */
export function encodeCardText(card: IdCard): Uint8Array {
  const block = new Uint8Array(TEXT_BYTES);
  put(block, [0, TEXT_BYTES], "");
  const yyyymmdd = (d: CardDate): string => d.iso.replaceAll("-", "");
  const to = (v: CardValidTo): string => (v === "long_term" ? LONG_TERM : yyyymmdd(v));
  switch (card.cardType) {
    case "resident_id":
    case "hk_mo_tw_residence_permit": {
      const L = RESIDENT_LAYOUT;
      put(block, L.name, card.name);
      put(block, L.gender, card.gender.code);
      put(block, L.birthDate, yyyymmdd(card.birthDate));
      put(block, L.address, card.address);
      put(block, L.idNumber, card.idNumber);
      put(block, L.issuingAuthority, card.issuingAuthority);
      put(block, L.validFrom, yyyymmdd(card.validFrom));
      put(block, L.validTo, to(card.validTo));
      if (card.cardType === "resident_id") {
        put(block, L.nation, card.ethnicity.code);
      } else {
        put(block, PERMIT_LAYOUT.passNumber, card.passNumber);
        put(block, PERMIT_LAYOUT.issueCount, String(card.issueCount).padStart(2, "0"));
        put(block, CARD_TYPE_SLOT, "J");
      }
      return block;
    }
    case "foreign_permanent_resident": {
      const L = FOREIGN_2017_LAYOUT;
      put(block, L.englishName, card.englishName);
      put(block, L.gender, card.gender.code);
      put(block, L.idNumber, card.idNumber);
      put(block, L.nationality, card.nationality.code);
      put(block, L.chineseName, card.chineseName);
      put(block, L.validFrom, yyyymmdd(card.validFrom));
      put(block, L.validTo, to(card.validTo));
      put(block, L.birthDate, yyyymmdd(card.birthDate));
      put(block, L.cardVersion, card.cardVersion);
      put(block, L.issuingAuthorityCode, card.issuingAuthorityCode);
      put(block, CARD_TYPE_SLOT, "I");
      return block;
    }
    case "foreign_permanent_resident_2023": {
      const L = FOREIGN_2023_LAYOUT;
      put(block, L.chineseName, card.chineseName);
      put(block, L.gender, card.gender.code);
      put(block, L.disputed32, card.disputed.bytes32);
      put(block, L.birthDate, yyyymmdd(card.birthDate));
      put(block, L.englishName, card.englishName);
      put(block, L.idNumber, card.idNumber);
      put(block, L.disputed158, card.disputed.bytes158);
      put(block, L.validFrom, yyyymmdd(card.validFrom));
      put(block, L.validTo, to(card.validTo));
      put(block, L.disputed220, card.disputed.bytes220);
      put(block, L.nationality, card.nationality.code);
      put(block, CARD_TYPE_SLOT, "Y");
      put(block, L.previousCardLink, card.previousCardLink);
      return block;
    }
  }
}

/** Write `value` as UCS-2LE into the slot, cut to the slot and padded with spaces (20 00). */
function put(block: Uint8Array, [offset, bytes]: Slot, value: string): void {
  const encoded = Buffer.from(value, "utf16le");
  for (let i = 0; i < bytes; i += 2) {
    block[offset + i] = i < encoded.length ? (encoded[i] ?? 0) : 0x20;
    block[offset + i + 1] = i < encoded.length ? (encoded[i + 1] ?? 0) : 0x00;
  }
}
