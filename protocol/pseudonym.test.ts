import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MASKED_ID_PATTERN, maskIdNumber, normaliseIdNumber, personRef } from "./pseudonym.js";

// GB 11643's own example number; the key is arbitrary test material.
const ID = "11010519491231002X";
const KEY = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");

describe("normaliseIdNumber", () => {
  it.each([
    ["a lower-case check character", "11010519491231002x"],
    ["full-width digits and letter from a Chinese input method", "１１０１０５１９４９１２３１００２Ｘ"],
    ["full-width lower-case x", "11010519491231002ｘ"],
    ["spaces, tabs and hyphens", " 110105-1949 1231\t002x\n"],
    ["an ideographic space", "110105\u30001949123100 2X"],
  ])("turns %s into the canonical number", (_label, raw) => {
    expect(normaliseIdNumber(raw)).toBe(ID);
  });

  it("upper-cases letters of other document numbers", () => {
    expect(normaliseIdNumber("usa123456789012")).toBe("USA123456789012");
  });
});

describe("personRef", () => {
  it("is HMAC-SHA256 of the normalised number under the key, in lower-case hex", () => {
    const expected = createHmac("sha256", KEY).update(Buffer.from(ID, "ascii")).digest("hex");
    expect(personRef(ID, KEY)).toBe(expected);
    expect(personRef(ID, KEY)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("names the same person however the number was typed", () => {
    expect(personRef("１１０１０５１９４９１２３１００２ｘ", KEY)).toBe(personRef(ID, KEY));
    expect(personRef("110105 19491231 002x", KEY)).toBe(personRef(ID, KEY));
  });

  it("differs between keys and between people", () => {
    const otherKey = Buffer.alloc(32, 0xab);
    expect(personRef(ID, otherKey)).not.toBe(personRef(ID, KEY));
    expect(personRef("440524188001010014", KEY)).not.toBe(personRef(ID, KEY));
  });

  it("refuses an empty number and a short key", () => {
    expect(() => personRef(" - ", KEY)).toThrow(RangeError);
    expect(() => personRef(ID, Buffer.alloc(31))).toThrow(RangeError);
  });
});

describe("maskIdNumber", () => {
  it.each([
    ["an 18-character resident ID", "11010519491231002x", "1101**********002X"],
    ["a 15-character foreign permanent resident number", "USA123456789012", "USA1*******9012"],
    ["a 12-character number", "AB1234567890", "AB12****7890"],
    ["an 11-character number", "12345678901", "12*******01"],
    ["a 10-character number", "1234567890", "12******90"],
    ["a 9-character number", "123456789", "12*****89"],
    ["an 8-character number", "12345678", "12****78"],
    ["a 7-character number", "1234567", "*******"],
    ["a 3-character number", "123", "****"],
  ])("masks %s", (_label, raw, masked) => {
    expect(maskIdNumber(raw)).toBe(masked);
  });

  it("produces a mask the wire accepts for every length", () => {
    for (let length = 1; length <= 30; length++) {
      const mask = maskIdNumber("7".repeat(length));
      expect(mask, `length ${length}`).toMatch(MASKED_ID_PATTERN);
    }
  });

  it("never reveals a middle character", () => {
    for (let length = 1; length <= 30; length++) {
      const digits = Array.from({ length }, (_, i) => String(i % 10)).join("");
      const mask = maskIdNumber(digits);
      const kept = mask.replaceAll("*", "").length;
      // Only the two ends can survive, and at least four characters are always hidden.
      expect(kept, `length ${length}`).toBeLessThanOrEqual(Math.max(0, length - 4));
      const starsStart = mask.indexOf("*");
      expect(mask.slice(0, starsStart)).toBe(digits.slice(0, starsStart));
      const tail = mask.length - mask.lastIndexOf("*") - 1;
      expect(mask.slice(mask.length - tail)).toBe(tail === 0 ? "" : digits.slice(-tail));
    }
  });

  it("hides the birth date and sequence of a resident ID", () => {
    const mask = maskIdNumber(ID);
    expect(mask).not.toContain("19491231");
    expect(mask.slice(4, -4)).toMatch(/^\*+$/);
    // Two people differing only in the middle digits share a mask.
    expect(maskIdNumber("110105198001010012")).toBe(maskIdNumber("110105199912310012"));
  });
});
