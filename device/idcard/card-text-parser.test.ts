import { describe, expect, it } from "vitest";
import { encodeCardText } from "./card-text-encoder.js";
import { parseCardText, type CardTextResult } from "./card-text-parser.js";
import { decodeStream } from "./frame-decoder.js";
import { xorChecksum } from "./frame-layout.js";
import type { IdCard } from "./id-card.js";
import { decodeResponseBody } from "./reader-responses.js";
import { concatBytes, hexBytes, SAMPLE_RESIDENT_CARD } from "./test-fixtures.js";

/**
 * Golden text blocks written by hand from idcard-protocol.md's layout tables: each field is its
 * UCS-2LE code units in hex (张 = U+5F20 → `20 5F`, '1' → `31 00`), padded with spaces (`20 00`)
 * to the field's width. Nothing here goes through the encoder under test.
 */
function field(hex: string, bytes: number): string {
  const have = hexBytes(hex).length;
  if (have > bytes || (bytes - have) % 2 !== 0) throw new Error(`field ${hex} does not fit ${bytes}`);
  return `${hex} ${"20 00 ".repeat((bytes - have) / 2)}`;
}
const DIGITS = (s: string): string => Array.from(s, (c) => `${c.charCodeAt(0).toString(16)} 00`).join(" ");

const RESIDENT = [
  field("20 5F 09 4E", 30), // 张三
  field("32 00", 2), // gender 2 female
  field("30 00 31 00", 4), // nation 01 汉
  field(DIGITS("19491231"), 16),
  field("17 53 AC 4E 02 5E 1C 4E CE 57 3A 53", 70), // 北京市东城区
  field(DIGITS("11010519491231002X"), 36),
  field("17 53 AC 4E 02 5E 6C 51 89 5B 40 5C", 30), // 北京市公安局
  field(DIGITS("20100101"), 16),
  field("7F 95 1F 67", 16), // 长期
  field("", 36), // reserved; bytes 248-249 blank = resident card
].join(" ");

const PERMIT = [
  field("48 96 F1 82", 30), // 陈英 (U+9648 U+82F1)
  field("31 00", 2),
  field("", 4), // nation reserved on the permit
  field(DIGITS("19900101"), 16),
  field("99 99 2F 6E", 70), // 香港
  field(DIGITS("810000199001010019"), 36),
  field("F1 6D 33 57 02 5E 6C 51 89 5B 40 5C", 30), // 深圳市公安局
  field(DIGITS("20180901"), 16),
  field(DIGITS("20230901"), 16),
  field(DIGITS("H12345678"), 18), // pass number
  field(DIGITS("01"), 4), // issue count
  field("", 6),
  field("4A 00", 2), // J
  field("", 6),
].join(" ");

const FOREIGN_2017 = [
  field(DIGITS("SMITH JOHN"), 120),
  field("31 00", 2),
  field(DIGITS("USA110090010101"), 30),
  field(DIGITS("USA"), 6),
  field("F2 53 C6 5B AF 65", 30), // 史密斯
  field(DIGITS("20170601"), 16),
  field(DIGITS("20270601"), 16),
  field(DIGITS("19900101"), 16),
  field(DIGITS("01"), 4), // card version
  field(DIGITS("1100"), 8), // issuing authority code
  field("49 00", 2), // I
  field("", 6),
].join(" ");

const FOREIGN_2023 = [
  field("9B 73 3D 4E", 30), // 玛丽
  field("32 00", 2),
  field("", 4), // disputed
  field(DIGITS("19850315"), 16),
  field(DIGITS("MARIA GARCIA"), 70),
  field(DIGITS("911840198503150024"), 36),
  field("", 30), // disputed
  field(DIGITS("20230901"), 16),
  field(DIGITS("20330901"), 16),
  field("", 22), // disputed
  field(DIGITS("USA"), 6),
  field("59 00", 2), // Y
  field("", 6), // previous card link: none
].join(" ");

/** The block with the field at byte `offset` replaced (positional, unlike a text replace). */
function patch(blockHex: string, offset: number, fieldHex: string): string {
  const bytes = hexBytes(blockHex);
  bytes.set(hexBytes(fieldHex), offset);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** A whole read-base reply: header by hand (LEN 05 08, SW 00 00 90, text 01 00, photo 04 00), CHK computed. */
function readBaseReply(textHex: string): Uint8Array {
  const photo = Uint8Array.from({ length: 1024 }, (_, i) => (i * 13) & 0xff);
  const withoutChk = concatBytes(hexBytes("AA AA AA 96 69 05 08 00 00 90 01 00 04 00"), hexBytes(textHex), photo);
  return concatBytes(withoutChk, Uint8Array.of(xorChecksum(withoutChk, 5)));
}

function parseReply(textHex: string): CardTextResult {
  const wire = readBaseReply(textHex);
  expect(wire.length).toBe(1295);
  const items = decodeStream(wire);
  const [item] = items;
  if (items.length !== 1 || item?.kind !== "frame") throw new Error(`reply did not decode: ${JSON.stringify(items)}`);
  const response = decodeResponseBody(item.frame.body, "read_base");
  if (!response.ok || response.response.payload.kind !== "base_message") throw new Error("not a base message");
  expect(response.response.payload.photo).toEqual(wire.subarray(270, 1294));
  return parseCardText(response.response.payload.text);
}

function card(textHex: string): IdCard {
  const result = parseReply(textHex);
  if (!result.ok) throw new Error(`card rejected: ${result.error.message}`);
  return result.card;
}

describe("card text parser, golden blocks", () => {
  it("parses the resident ID card", () => {
    expect(card(RESIDENT)).toEqual(SAMPLE_RESIDENT_CARD);
  });

  it("parses the Hong Kong / Macau / Taiwan residence permit", () => {
    expect(card(PERMIT)).toMatchObject({
      cardType: "hk_mo_tw_residence_permit",
      gender: { label: "male" },
      address: "香港",
      idNumber: "810000199001010019",
      issuingAuthority: "深圳市公安局",
      validTo: { iso: "2023-09-01" },
      passNumber: "H12345678",
      issueCount: 1,
      warnings: [],
    });
  });

  it("parses the 2017 foreign permanent resident ID card", () => {
    expect(card(FOREIGN_2017)).toEqual({
      cardType: "foreign_permanent_resident",
      englishName: "SMITH JOHN",
      gender: { code: "1", label: "male" },
      idNumber: "USA110090010101",
      nationality: { code: "USA", nameEn: "United States", nameZh: "美国" },
      chineseName: "史密斯",
      validFrom: { year: 2017, month: 6, day: 1, iso: "2017-06-01" },
      validTo: { year: 2027, month: 6, day: 1, iso: "2027-06-01" },
      birthDate: { year: 1990, month: 1, day: 1, iso: "1990-01-01" },
      cardVersion: "01",
      issuingAuthorityCode: "1100",
      warnings: [],
    });
  });

  it("parses the 2023 foreign permanent resident ID card, its disputed bytes optional", () => {
    expect(card(FOREIGN_2023)).toMatchObject({
      cardType: "foreign_permanent_resident_2023",
      chineseName: "玛丽",
      englishName: "MARIA GARCIA",
      gender: { label: "female" },
      birthDate: { iso: "1985-03-15" },
      idNumber: "911840198503150024",
      nationality: { code: "USA" },
      previousCardLink: "",
      disputed: { bytes32: "", bytes158: "", bytes220: "" },
      warnings: [],
    });
    // Whatever sits in the disputed regions, the card still parses.
    const noisy = patch(FOREIGN_2023, 32, "31 00 32 00");
    expect(card(noisy)).toMatchObject({ disputed: { bytes32: "12" } });
  });

  it("round-trips every golden card through the encoder", () => {
    for (const hex of [RESIDENT, PERMIT, FOREIGN_2017, FOREIGN_2023]) {
      const parsed = card(hex);
      expect(encodeCardText(parsed)).toEqual(hexBytes(hex));
    }
  });
});

describe("card text parser, rejections", () => {
  it("reports an ID number whose check character fails, carrying the card but not accepting it", () => {
    const bad = patch(RESIDENT, 122, DIGITS("110105194912310021"));
    const result = parseReply(bad);
    expect(result).toMatchObject({ ok: false, error: { code: "bad_id_number", field: "idNumber", card: { name: "张三" } } });
    if (!result.ok) expect(result.error.message).not.toContain("110105");
  });

  it("rejects a permit number outside 81/82/83 0000 and a 2023 number not starting with 9", () => {
    expect(parseReply(patch(PERMIT, 122, DIGITS("440524188001010014")))).toMatchObject({ ok: false, error: { code: "bad_id_number" } });
    expect(parseReply(patch(FOREIGN_2023, 122, DIGITS("440524188001010014")))).toMatchObject({ ok: false, error: { code: "bad_id_number" } });
  });

  it("names the field that is not what the layout says", () => {
    expect(parseReply(patch(RESIDENT, 32, "35 00 39 00"))).toMatchObject({ ok: false, error: { code: "bad_field", field: "ethnicity" } });
    expect(parseReply(patch(RESIDENT, 188, DIGITS("20100231")))).toMatchObject({ ok: false, error: { code: "bad_field", field: "validFrom" } });
    expect(parseReply(patch(RESIDENT, 30, "35 00"))).toMatchObject({ ok: false, error: { code: "bad_field", field: "gender" } });
    expect(parseReply(patch(FOREIGN_2017, 152, DIGITS("us1")))).toMatchObject({ ok: false, error: { code: "bad_field", field: "nationality" } });
  });

  it("reports an unknown card type character and a wrong block size", () => {
    expect(parseReply(patch(FOREIGN_2023, 248, "5A 00"))).toMatchObject({ ok: false, error: { code: "unknown_card_type" } });
    expect(parseCardText(new Uint8Array(255))).toMatchObject({ ok: false, error: { code: "bad_text_length" } });
  });

  it("warns when the number's birth date or parity disagrees with the fields", () => {
    const result = parseReply(patch(RESIDENT, 30, "31 00"));
    expect(result).toMatchObject({ ok: true, card: { warnings: ["the ID number's sequence parity disagrees with the gender field"] } });
  });
});
