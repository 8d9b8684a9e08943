import { decodeEthnicity, decodeGender, decodeNationality, type Gender, type Nationality } from "./card-code-tables.js";
import { CARD_TYPE_SLOT, FOREIGN_2017_LAYOUT, FOREIGN_2023_LAYOUT, LONG_TERM, PERMIT_LAYOUT, RESIDENT_LAYOUT, TEXT_BYTES, type Slot } from "./card-text-layout.js";
import type { CardDate, CardValidTo, IdCard, IdCardType } from "./id-card.js";
import {
  checkForeignPermanentResident2017Number,
  checkForeignPermanentResident2023Number,
  checkResidencePermitNumber,
  checkResidentIdNumber,
  isCalendarDate,
  type IdNumberCheck,
} from "../../protocol/id-number-check.js";

export const CARD_TEXT_ERROR_CODES = ["bad_text_length", "unknown_card_type", "bad_field", "bad_id_number"] as const;
export type CardTextErrorCode = (typeof CARD_TEXT_ERROR_CODES)[number];

export interface CardTextError {
  readonly code: CardTextErrorCode;
  /** Never contains the ID number itself. */
  readonly message: string;
  readonly field?: string;
  /** The card as read, when only its ID number failed: support needs to see it, the box must not accept it. */
  readonly card?: IdCard;
}

export type CardTextResult = { readonly ok: true; readonly card: IdCard } | { readonly ok: false; readonly error: CardTextError };

/** Internal: thrown by a field reader, caught in parseCardText and returned as a value. */
class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function text(block: Uint8Array, [offset, bytes]: Slot): string {
  return Buffer.from(block.buffer, block.byteOffset + offset, bytes)
    .toString("utf16le")
    .replaceAll("\u0000", " ")
    .trim();
}

function date(field: string, value: string): CardDate {
  if (!isCalendarDate(value)) throw new FieldError(field, `${field} is not a YYYYMMDD calendar date`);
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(4, 6));
  const day = Number(value.slice(6, 8));
  return { year, month, day, iso: `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` };
}

function validTo(value: string): CardValidTo {
  return value === LONG_TERM ? "long_term" : date("validTo", value);
}

function gender(value: string): Gender {
  const g = decodeGender(value);
  if (g === undefined) throw new FieldError("gender", `gender code is not 0, 1, 2 or 9`);
  return g;
}

function nationality(value: string): Nationality {
  const n = decodeNationality(value);
  if (n === undefined) throw new FieldError("nationality", `nationality is not three capital letters`);
  return n;
}

/** The type character at bytes 248–249: blank (space or NUL) resident, J, I, Y. */
export function cardTypeOf(block: Uint8Array): IdCardType | undefined {
  switch (text(block, CARD_TYPE_SLOT)) {
    case "":
      return "resident_id";
    case "J":
      return "hk_mo_tw_residence_permit";
    case "I":
      return "foreign_permanent_resident";
    case "Y":
      return "foreign_permanent_resident_2023";
    default:
      return undefined;
  }
}

/** Number and birth-date field should agree where the number embeds the date (GB 11643-1999 positions 7–14). */
function birthWarnings(idNumber: string, birth: CardDate, sexDigit: string | undefined, g: Gender): string[] {
  const warnings: string[] = [];
  if (idNumber.slice(6, 14) !== birth.iso.replaceAll("-", "")) warnings.push("the ID number's birth date differs from the birth date field");
  if (sexDigit !== undefined && /^[0-9]$/.test(sexDigit) && (g.label === "male" || g.label === "female")) {
    const odd = Number(sexDigit) % 2 === 1;
    if (odd !== (g.label === "male")) warnings.push("the ID number's sequence parity disagrees with the gender field");
  }
  return warnings;
}

function parseByType(block: Uint8Array, type: IdCardType): IdCard {
  switch (type) {
    case "resident_id":
    case "hk_mo_tw_residence_permit": {
      const L = type === "resident_id" ? RESIDENT_LAYOUT : PERMIT_LAYOUT;
      const idNumber = text(block, L.idNumber);
      const g = gender(text(block, L.gender));
      const birthDate = date("birthDate", text(block, L.birthDate));
      const common = {
        name: text(block, L.name),
        gender: g,
        birthDate,
        address: text(block, L.address),
        idNumber,
        issuingAuthority: text(block, L.issuingAuthority),
        validFrom: date("validFrom", text(block, L.validFrom)),
        validTo: validTo(text(block, L.validTo)),
        warnings: birthWarnings(idNumber, birthDate, idNumber[16], g),
      };
      if (type === "resident_id") {
        const ethnicity = decodeEthnicity(text(block, RESIDENT_LAYOUT.nation));
        if (ethnicity === undefined) throw new FieldError("ethnicity", "nation code is not 01-56, 97 or 98 (GB 3304)");
        return { cardType: type, ...common, ethnicity };
      }
      const issueCount = text(block, PERMIT_LAYOUT.issueCount);
      if (!/^[0-9]{1,2}$/.test(issueCount)) throw new FieldError("issueCount", "issue count is not a number");
      return { cardType: type, ...common, passNumber: text(block, PERMIT_LAYOUT.passNumber), issueCount: Number(issueCount) };
    }
    case "foreign_permanent_resident": {
      const L = FOREIGN_2017_LAYOUT;
      return {
        cardType: type,
        englishName: text(block, L.englishName),
        gender: gender(text(block, L.gender)),
        idNumber: text(block, L.idNumber),
        nationality: nationality(text(block, L.nationality)),
        chineseName: text(block, L.chineseName),
        validFrom: date("validFrom", text(block, L.validFrom)),
        validTo: validTo(text(block, L.validTo)),
        birthDate: date("birthDate", text(block, L.birthDate)),
        cardVersion: text(block, L.cardVersion),
        issuingAuthorityCode: text(block, L.issuingAuthorityCode),
        warnings: [],
      };
    }
    case "foreign_permanent_resident_2023": {
      const L = FOREIGN_2023_LAYOUT;
      const idNumber = text(block, L.idNumber);
      const g = gender(text(block, L.gender));
      const birthDate = date("birthDate", text(block, L.birthDate));
      return {
        cardType: type,
        chineseName: text(block, L.chineseName),
        gender: g,
        birthDate,
        englishName: text(block, L.englishName),
        idNumber,
        validFrom: date("validFrom", text(block, L.validFrom)),
        validTo: validTo(text(block, L.validTo)),
        nationality: nationality(text(block, L.nationality)),
        previousCardLink: text(block, L.previousCardLink),
        disputed: { bytes32: text(block, L.disputed32), bytes158: text(block, L.disputed158), bytes220: text(block, L.disputed220) },
        warnings: birthWarnings(idNumber, birthDate, idNumber[16], g),
      };
    }
  }
}

function checkIdNumber(card: IdCard): IdNumberCheck {
  switch (card.cardType) {
    case "resident_id":
      return checkResidentIdNumber(card.idNumber);
    case "hk_mo_tw_residence_permit":
      return checkResidencePermitNumber(card.idNumber);
    case "foreign_permanent_resident":
      return checkForeignPermanentResident2017Number(card.idNumber);
    case "foreign_permanent_resident_2023":
      return checkForeignPermanentResident2023Number(card.idNumber);
  }
}

/**
 * The card's 256-byte text block to a typed card. A field that cannot be what the layout says is an
 * error naming the field; an ID number that fails its check is an error that carries the card, so it
 * is reported and never silently accepted.
 */
export function parseCardText(block: Uint8Array): CardTextResult {
  if (block.length !== TEXT_BYTES) return { ok: false, error: { code: "bad_text_length", message: `text block of ${block.length} byte(s), expected ${TEXT_BYTES}` } };
  const type = cardTypeOf(block);
  if (type === undefined) return { ok: false, error: { code: "unknown_card_type", message: "card type character at bytes 248-249 is none of blank, J, I, Y", field: "cardType" } };
  let card: IdCard;
  try {
    card = parseByType(block, type);
  } catch (error) {
    if (error instanceof FieldError) return { ok: false, error: { code: "bad_field", message: error.message, field: error.field } };
    throw error;
  }
  const check = checkIdNumber(card);
  if (!check.ok) return { ok: false, error: { code: "bad_id_number", message: `ID number rejected: ${check.message}`, field: "idNumber", card } };
  return { ok: true, card };
}
