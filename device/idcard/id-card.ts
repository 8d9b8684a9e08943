import type { Ethnicity, Gender, Nationality } from "./card-code-tables.js";

/** Card types as the gateway's contract names them (protocol/messages/event.ts CARD_TYPES). */
export const ID_CARD_TYPES = ["resident_id", "hk_mo_tw_residence_permit", "foreign_permanent_resident", "foreign_permanent_resident_2023"] as const;
export type IdCardType = (typeof ID_CARD_TYPES)[number];

/** A calendar day as printed on the card; no time zone (a card date is a date, not an instant). */
export interface CardDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** YYYY-MM-DD. */
  readonly iso: string;
}

export type CardValidTo = CardDate | "long_term";

interface CardBase {
  /** The number the check applies to; raw: mask it (protocol/pseudonym.ts maskIdNumber) before it leaves the box. */
  readonly idNumber: string;
  readonly gender: Gender;
  readonly birthDate: CardDate;
  readonly validFrom: CardDate;
  readonly validTo: CardValidTo;
  /** Consistency notes that do not make the card fail (for example number and birth date disagree). */
  readonly warnings: readonly string[];
}

export interface ResidentIdCard extends CardBase {
  readonly cardType: "resident_id";
  readonly name: string;
  readonly ethnicity: Ethnicity;
  readonly address: string;
  readonly issuingAuthority: string;
}

export interface ResidencePermitCard extends CardBase {
  readonly cardType: "hk_mo_tw_residence_permit";
  readonly name: string;
  readonly address: string;
  readonly issuingAuthority: string;
  /** The Mainland travel permit number (回乡证/台胞证). */
  readonly passNumber: string;
  readonly issueCount: number;
}

export interface ForeignPermanentResident2017Card extends CardBase {
  readonly cardType: "foreign_permanent_resident";
  readonly englishName: string;
  readonly chineseName: string;
  readonly nationality: Nationality;
  readonly cardVersion: string;
  readonly issuingAuthorityCode: string;
}

export interface ForeignPermanentResident2023Card extends CardBase {
  readonly cardType: "foreign_permanent_resident_2023";
  readonly chineseName: string;
  readonly englishName: string;
  readonly nationality: Nationality;
  readonly previousCardLink: string;
  /** Text of the disputed regions (bytes 32–35, 158–187, 220–241) when not blank [?]. */
  readonly disputed: { readonly bytes32: string; readonly bytes158: string; readonly bytes220: string };
}

export type IdCard = ResidentIdCard | ResidencePermitCard | ForeignPermanentResident2017Card | ForeignPermanentResident2023Card;

/** The card's display name (Chinese if it has one). */
export function cardHolderName(card: IdCard): string {
  switch (card.cardType) {
    case "resident_id":
    case "hk_mo_tw_residence_permit":
      return card.name;
    case "foreign_permanent_resident":
    case "foreign_permanent_resident_2023":
      return card.chineseName !== "" ? card.chineseName : card.englishName;
  }
}
