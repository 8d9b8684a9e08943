/**
 * Where each field sits in the card's 256-byte text block (UCS-2 little-endian, padded with
 * spaces), per card type (idcard-protocol.md, "Text block"). [offset, bytes] pairs.
 */
export type Slot = readonly [offset: number, bytes: number];

export const TEXT_BYTES = 256;
/** The card-type character [2]: blank resident, `J` residence permit, `I` 2017 and `Y` 2023 foreign permanent resident. */
export const CARD_TYPE_SLOT: Slot = [248, 2];

export const RESIDENT_LAYOUT = {
  name: [0, 30],
  gender: [30, 2],
  nation: [32, 4],
  birthDate: [36, 16],
  address: [52, 70],
  idNumber: [122, 36],
  issuingAuthority: [158, 30],
  validFrom: [188, 16],
  validTo: [204, 16],
} as const satisfies Record<string, Slot>;

/** `J`: as the resident card, nation reserved; pass number and issue count in the reserved tail. */
export const PERMIT_LAYOUT = {
  ...RESIDENT_LAYOUT,
  passNumber: [220, 18],
  issueCount: [238, 4],
} as const satisfies Record<string, Slot>;

export const FOREIGN_2017_LAYOUT = {
  englishName: [0, 120],
  gender: [120, 2],
  idNumber: [122, 30],
  nationality: [152, 6],
  chineseName: [158, 30],
  validFrom: [188, 16],
  validTo: [204, 16],
  birthDate: [220, 16],
  cardVersion: [236, 4],
  issuingAuthorityCode: [240, 8],
} as const satisfies Record<string, Slot>;

/**
 * `Y`: the fields sources agree on [2]. Bytes 32–35, 158–187 and 220–241 are disputed [?]: they are
 * read as optional text and never make a card fail.
 */
export const FOREIGN_2023_LAYOUT = {
  chineseName: [0, 30],
  gender: [30, 2],
  birthDate: [36, 16],
  englishName: [52, 70],
  idNumber: [122, 36],
  validFrom: [188, 16],
  validTo: [204, 16],
  nationality: [242, 6],
  previousCardLink: [250, 6],
  disputed32: [32, 4],
  disputed158: [158, 30],
  disputed220: [220, 22],
} as const satisfies Record<string, Slot>;

/** The text 长期 ("long-term") in a valid-to field. */
export const LONG_TERM = "长期";
