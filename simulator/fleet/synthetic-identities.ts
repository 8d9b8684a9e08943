import { mod11_2CheckCharacter } from "./id-number-check.js";
import type { SeededRandom } from "./seeded-random.js";

/**
 * Made-up people with ID numbers that pass the real format checks, so the gateway's and the billing
 * import's validation see realistic values. Names exist only in the plan (billing exports need them);
 * on the wire a person is only a pseudonym ref and a masked number.
 */
export type PersonCardType =
  | "resident_id"
  | "hk_mo_tw_residence_permit"
  | "foreign_permanent_resident"
  | "foreign_permanent_resident_2023";

export interface SyntheticIdentity {
  readonly cardType: PersonCardType;
  readonly idNumber: string;
  readonly name: string;
  readonly sex: "male" | "female";
  /** YYYY-MM-DD. */
  readonly birthDate: string;
}

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

function yyyymmdd(date: CalendarDate): string {
  return `${date.year}${String(date.month).padStart(2, "0")}${String(date.day).padStart(2, "0")}`;
}

function sequence3(sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 999) throw new RangeError(`sequence ${sequence} is not 0-999`);
  return String(sequence).padStart(3, "0");
}

/** GB 11643-1999: region (6) + birth date (8) + sequence (3, odd male / even female) + check. */
export function residentIdNumber(region: string, birth: CalendarDate, sequence: number): string {
  if (!/^[1-8][0-9]{5}$/.test(region)) throw new RangeError(`region code ${region} is not 6 digits`);
  const first17 = region + yyyymmdd(birth) + sequence3(sequence);
  return first17 + mod11_2CheckCharacter(first17);
}

const PERMIT_REGIONS = { HK: "810000", MO: "820000", TW: "830000" } as const;

/** Residence permit for Hong Kong, Macau and Taiwan residents: the resident layout under 81/82/83 0000. */
export function residencePermitNumber(origin: keyof typeof PERMIT_REGIONS, birth: CalendarDate, sequence: number): string {
  return residentIdNumber(PERMIT_REGIONS[origin], birth, sequence);
}

/**
 * 2023 foreign permanent resident ID: `9` + province (2) + nationality (3, ISO 3166 numeric) + birth
 * date (8) + sequence (3) + MOD 11-2 check — 18 characters (idcard-protocol.md, card type `Y`).
 */
export function foreignPermanentResident2023Number(province: string, nationality: string, birth: CalendarDate, sequence: number): string {
  if (!/^[1-8][0-9]$/.test(province) || !/^[0-9]{3}$/.test(nationality)) throw new RangeError("province 2 digits, nationality 3 digits");
  const first17 = `9${province}${nationality}${yyyymmdd(birth)}${sequence3(sequence)}`;
  return first17 + mod11_2CheckCharacter(first17);
}

/**
 * 2017 foreign permanent resident card number: 15 characters, three letters (ISO 3166 alpha-3
 * nationality) and twelve digits (idcard-protocol.md, card type `I`). The split of the digits
 * (accepting authority, YYMMDD birth date, sequence) follows public descriptions; no check is claimed.
 */
export function foreignPermanentResident2017Number(nationality: string, authority: string, birth: CalendarDate, sequence: number): string {
  if (!/^[A-Z]{3}$/.test(nationality) || !/^[0-9]{4}$/.test(authority)) throw new RangeError("nationality 3 letters, authority 4 digits");
  const yymmdd = yyyymmdd(birth).slice(2);
  return `${nationality}${authority}${yymmdd}${String(sequence % 100).padStart(2, "0")}`;
}

const SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"];
const GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建国", "志强", "玉兰", "文", "辉", "红", "海燕"];
const FOREIGN_GIVEN = ["John", "Maria", "Kenji", "Anna", "David", "Sofia", "Minh", "Olga", "Ahmed", "Emma"];
const FOREIGN_FAMILY = ["Smith", "Garcia", "Tanaka", "Kim", "Nguyen", "Ivanova", "Müller", "Rossi", "Khan", "Brown"];
/** Nationalities for foreign permanent residents: alpha-3 and numeric ISO 3166 codes. */
const NATIONALITIES = [
  ["USA", "840"],
  ["JPN", "392"],
  ["KOR", "410"],
  ["DEU", "276"],
  ["RUS", "643"],
  ["VNM", "704"],
  ["GBR", "826"],
] as const;

const CARD_TYPE_WEIGHTS: Record<PersonCardType, number> = {
  resident_id: 0.95,
  hk_mo_tw_residence_permit: 0.03,
  foreign_permanent_resident: 0.01,
  foreign_permanent_resident_2023: 0.01,
};

export interface IdentityRequest {
  /** 6-digit region code for resident ID numbers (usually the institution's own area). */
  readonly region: string;
  readonly minAge: number;
  readonly maxAge: number;
  /** The year ages are counted from (the simulated present). */
  readonly referenceYear: number;
  /** Staff always hold resident ID cards; patients get the realistic mix of card types. */
  readonly cardMix: "resident_only" | "patients";
}

/** A new identity whose number is not in `taken` (which it adds to). */
export function syntheticIdentity(random: SeededRandom, request: IdentityRequest, taken: Set<string>): SyntheticIdentity {
  for (;;) {
    const identity = drawIdentity(random, request);
    if (!taken.has(identity.idNumber)) {
      taken.add(identity.idNumber);
      return identity;
    }
  }
}

function drawIdentity(random: SeededRandom, request: IdentityRequest): SyntheticIdentity {
  const cardType: PersonCardType = request.cardMix === "patients" ? random.weighted(CARD_TYPE_WEIGHTS) : "resident_id";
  const sex = random.chance(0.5) ? "male" : "female";
  const birth: CalendarDate = {
    year: request.referenceYear - random.int(request.minAge, request.maxAge),
    month: random.int(1, 12),
    day: random.int(1, 28),
  };
  // GB 11643-1999: the sequence's last digit is odd for men and even for women.
  const sequence = random.int(0, 499) * 2 + (sex === "male" ? 1 : 0);
  const birthDate = `${birth.year}-${String(birth.month).padStart(2, "0")}-${String(birth.day).padStart(2, "0")}`;
  const chineseName = random.pick(SURNAMES) + random.pick(GIVEN);
  const foreignName = `${random.pick(FOREIGN_GIVEN)} ${random.pick(FOREIGN_FAMILY)}`;
  const [alpha3, numeric] = random.pick(NATIONALITIES);
  switch (cardType) {
    case "resident_id":
      return { cardType, idNumber: residentIdNumber(patientRegion(random, request.region), birth, sequence), name: chineseName, sex, birthDate };
    case "hk_mo_tw_residence_permit":
      return { cardType, idNumber: residencePermitNumber(random.pick(["HK", "MO", "TW"] as const), birth, sequence), name: chineseName, sex, birthDate };
    case "foreign_permanent_resident":
      return { cardType, idNumber: foreignPermanentResident2017Number(alpha3, `${request.region.slice(0, 2)}00`, birth, sequence), name: foreignName, sex, birthDate };
    case "foreign_permanent_resident_2023":
      return { cardType, idNumber: foreignPermanentResident2023Number(request.region.slice(0, 2), numeric, birth, sequence), name: foreignName, sex, birthDate };
  }
}

/** Most people were registered where the institution is; some elsewhere in the province or country. */
function patientRegion(random: SeededRandom, siteRegion: string): string {
  const draw = random.float();
  if (draw < 0.7) return siteRegion;
  if (draw < 0.9) return `${siteRegion.slice(0, 4)}${String(random.int(1, 12)).padStart(2, "0")}`;
  return random.pick(REGIONS).code;
}

/** Real county-level division codes (GB/T 2260) used for institutions and birthplaces. */
export const REGIONS = [
  { code: "110101", name: "北京市东城区" },
  { code: "110105", name: "北京市朝阳区" },
  { code: "310101", name: "上海市黄浦区" },
  { code: "440104", name: "广州市越秀区" },
  { code: "500106", name: "重庆市沙坪坝区" },
  { code: "510104", name: "成都市锦江区" },
  { code: "330106", name: "杭州市西湖区" },
  { code: "420106", name: "武汉市武昌区" },
  { code: "610113", name: "西安市雁塔区" },
  { code: "320102", name: "南京市玄武区" },
  { code: "450103", name: "南宁市青秀区" },
  { code: "370102", name: "济南市历下区" },
] as const;
