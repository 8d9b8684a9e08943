import { decodeEthnicity, decodeGender, decodeNationality, type CardDate, type IdCard, type IdCardType } from "../../device/idcard/codec.js";
import { SeededRandom } from "../fleet/seeded-random.js";
import {
  foreignPermanentResident2017Number,
  foreignPermanentResident2023Number,
  REGIONS,
  residencePermitNumber,
  residentIdNumber,
  type CalendarDate,
} from "../fleet/synthetic-identities.js";

/** A card the virtual reader can hold: the text fields, an opaque photo and optional extras. */
export interface VirtualCard {
  readonly card: IdCard;
  /** 1024 bytes standing in for the WLT-compressed photo (meaningless, as the real one is to us). */
  readonly photo: Uint8Array;
  /** 0, 512 or 1024 bytes of fingerprint records. */
  readonly fingerprint: Uint8Array;
  /** The appended address (`30 03`), or null when the card has none (SW3 91). */
  readonly newestAddress: string | null;
}

const SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
const GIVEN = ["伟", "芳", "秀英", "敏", "静", "强", "磊", "军", "建国", "玉兰"];
const FOREIGN = [
  ["JOHN SMITH", "约翰", "USA", "840"],
  ["KENJI TANAKA", "健二", "JPN", "392"],
  ["ANNA MULLER", "安娜", "DEU", "276"],
  ["MINH NGUYEN", "明", "VNM", "704"],
] as const;
const STREETS = ["和平路", "建设大街", "人民路", "解放路", "中山路"];

function cardDate(d: CalendarDate): CardDate {
  const mm = String(d.month).padStart(2, "0");
  const dd = String(d.day).padStart(2, "0");
  return { year: d.year, month: d.month, day: d.day, iso: `${d.year}-${mm}-${dd}` };
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`virtual card: no ${what}`);
  return value;
}

/** One card of `type`, drawn from `random`; the ID number passes its real check (GB 11643-1999 / MOD 11-2). */
export function virtualCard(random: SeededRandom, type: IdCardType): VirtualCard {
  const male = random.chance(0.5);
  const birth: CalendarDate = { year: random.int(1940, 2005), month: random.int(1, 12), day: random.int(1, 28) };
  const sequence = random.int(0, 499) * 2 + (male ? 1 : 0);
  const issued: CalendarDate = { year: random.int(2010, 2023), month: random.int(1, 12), day: random.int(1, 28) };
  const validFrom = cardDate(issued);
  const validTo = birth.year < 1970 ? ("long_term" as const) : cardDate({ ...issued, year: issued.year + 20 });
  const gender = must(decodeGender(male ? "1" : "2"), "gender");
  const region = random.pick(REGIONS);
  const address = `${region.name}${random.pick(STREETS)}${random.int(1, 300)}号`;
  const photo = Uint8Array.from({ length: 1024 }, () => random.int(0, 255));
  const common = { gender, birthDate: cardDate(birth), validFrom, validTo, warnings: [] };
  const chineseName = random.pick(SURNAMES) + random.pick(GIVEN);
  let card: IdCard;
  switch (type) {
    case "resident_id":
      card = {
        cardType: type,
        ...common,
        name: chineseName,
        ethnicity: must(decodeEthnicity(random.chance(0.9) ? "01" : String(random.int(2, 56)).padStart(2, "0")), "ethnicity"),
        address,
        idNumber: residentIdNumber(region.code, birth, sequence),
        issuingAuthority: `${region.name.slice(0, 3)}公安局`,
      };
      break;
    case "hk_mo_tw_residence_permit":
      card = {
        cardType: type,
        ...common,
        name: chineseName,
        address,
        idNumber: residencePermitNumber(random.pick(["HK", "MO", "TW"] as const), birth, sequence),
        issuingAuthority: `${region.name.slice(0, 3)}公安局`,
        passNumber: `H${String(random.int(10_000_000, 99_999_999))}`,
        issueCount: random.int(1, 3),
      };
      break;
    case "foreign_permanent_resident": {
      const [englishName, name, alpha3] = random.pick(FOREIGN);
      card = {
        cardType: type,
        ...common,
        englishName,
        chineseName: name,
        idNumber: foreignPermanentResident2017Number(alpha3, `${region.code.slice(0, 2)}00`, birth, sequence),
        nationality: must(decodeNationality(alpha3), "nationality"),
        cardVersion: "01",
        issuingAuthorityCode: `${region.code.slice(0, 2)}00`,
      };
      break;
    }
    case "foreign_permanent_resident_2023": {
      const [englishName, name, alpha3, numeric] = random.pick(FOREIGN);
      card = {
        cardType: type,
        ...common,
        englishName,
        chineseName: name,
        idNumber: foreignPermanentResident2023Number(region.code.slice(0, 2), numeric, birth, sequence),
        nationality: must(decodeNationality(alpha3), "nationality"),
        previousCardLink: "",
        disputed: { bytes32: "", bytes158: "", bytes220: "" },
      };
      break;
    }
  }
  const fingerprintRecords = type === "resident_id" ? random.int(0, 2) : 0;
  const fingerprint = Uint8Array.from({ length: 512 * fingerprintRecords }, () => random.int(0, 255));
  const newestAddress = type === "resident_id" && random.chance(0.3) ? `${random.pick(REGIONS).name}${random.pick(STREETS)}${random.int(1, 300)}号` : null;
  return { card, photo, fingerprint, newestAddress };
}

/** A deck of `size` cards (at least one of every card type), reproducible from `seed`. */
export function virtualCardDeck(seed: string, size = 8): VirtualCard[] {
  const random = SeededRandom.fromSeed(`idcard-deck/${seed}`);
  const order: IdCardType[] = ["resident_id", "hk_mo_tw_residence_permit", "foreign_permanent_resident", "foreign_permanent_resident_2023"];
  return Array.from({ length: Math.max(size, order.length) }, (_, i) => virtualCard(random.fork(String(i)), order[i] ?? "resident_id"));
}
