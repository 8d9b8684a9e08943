import { describe, expect, it } from "vitest";
import { hasValidCheckCharacter, isValidResidentIdNumber, mod11_2CheckCharacter } from "./id-number-check.js";

describe("ISO 7064 MOD 11-2 check character (GB 11643-1999)", () => {
  it("gives X for the standard's example 11010519491231002X", () => {
    expect(mod11_2CheckCharacter("11010519491231002")).toBe("X");
    expect(hasValidCheckCharacter("11010519491231002X")).toBe(true);
  });

  it("accepts the second published test vector 440524188001010014", () => {
    expect(mod11_2CheckCharacter("44052418800101001")).toBe("4");
    expect(isValidResidentIdNumber("440524188001010014")).toBe(true);
  });

  it("accepts the billing example's second number and rejects every wrong check character", () => {
    expect(hasValidCheckCharacter("110105194912310011")).toBe(true);
    for (const wrong of "023456789X") expect(hasValidCheckCharacter(`11010519491231001${wrong}`)).toBe(false);
  });

  it("detects a single changed digit", () => {
    expect(hasValidCheckCharacter("11010519491231003X")).toBe(false);
  });

  it("rejects a lower-case x, wrong lengths and non-digits", () => {
    expect(hasValidCheckCharacter("11010519491231002x")).toBe(false);
    expect(hasValidCheckCharacter("1101051949123100X")).toBe(false);
    expect(hasValidCheckCharacter("1101051949123100AX")).toBe(false);
    expect(() => mod11_2CheckCharacter("123")).toThrow(RangeError);
  });

  it("rejects an impossible birth date even with a matching check character", () => {
    const first17 = "11010519490231002"; // 31 February
    expect(hasValidCheckCharacter(first17 + mod11_2CheckCharacter(first17))).toBe(true);
    expect(isValidResidentIdNumber(first17 + mod11_2CheckCharacter(first17))).toBe(false);
  });
});
