import { describe, expect, it } from "vitest";
import { MASKED_ID_PATTERN, maskIdNumber } from "../../protocol/index.js";
import { hasValidCheckCharacter, isValidResidentIdNumber } from "./id-number-check.js";
import { SeededRandom } from "./seeded-random.js";
import {
  foreignPermanentResident2017Number,
  foreignPermanentResident2023Number,
  residencePermitNumber,
  residentIdNumber,
  syntheticIdentity,
} from "./synthetic-identities.js";

describe("synthetic ID numbers", () => {
  it("rebuilds the standard's example resident number", () => {
    expect(residentIdNumber("110105", { year: 1949, month: 12, day: 31 }, 2)).toBe("11010519491231002X");
  });

  it("gives residence permits the 81/82/83 region and a valid check character", () => {
    const number = residencePermitNumber("TW", { year: 1980, month: 5, day: 17 }, 123);
    expect(number.startsWith("830000")).toBe(true);
    expect(isValidResidentIdNumber(number)).toBe(true);
  });

  it("builds 2023 foreign permanent resident numbers of 18 characters starting with 9 (check may be X)", () => {
    const number = foreignPermanentResident2023Number("11", "840", { year: 1975, month: 1, day: 2 }, 7);
    expect(number).toMatch(/^9[0-9]{16}[0-9X]$/);
    expect(hasValidCheckCharacter(number)).toBe(true);
  });

  it("builds 2017 foreign permanent resident numbers of 3 letters and 12 digits", () => {
    expect(foreignPermanentResident2017Number("USA", "1100", { year: 1975, month: 1, day: 2 }, 7)).toMatch(/^USA[0-9]{12}$/);
  });

  it("draws unique, valid, maskable identities with the sex encoded in the sequence", () => {
    const random = SeededRandom.fromSeed("identities");
    const taken = new Set<string>();
    const request = { region: "440104", minAge: 20, maxAge: 90, referenceYear: 2026, cardMix: "patients" } as const;
    const people = Array.from({ length: 2000 }, () => syntheticIdentity(random, request, taken));
    expect(new Set(people.map((p) => p.idNumber)).size).toBe(people.length);
    const types = new Set(people.map((p) => p.cardType));
    expect(types).toEqual(new Set(["resident_id", "hk_mo_tw_residence_permit", "foreign_permanent_resident", "foreign_permanent_resident_2023"]));
    for (const person of people) {
      expect(MASKED_ID_PATTERN.test(maskIdNumber(person.idNumber))).toBe(true);
      if (person.cardType === "foreign_permanent_resident") continue;
      expect(hasValidCheckCharacter(person.idNumber)).toBe(true);
      if (person.cardType === "foreign_permanent_resident_2023") continue;
      expect(isValidResidentIdNumber(person.idNumber)).toBe(true);
      expect(Number(person.idNumber[16]) % 2).toBe(person.sex === "male" ? 1 : 0);
      expect(person.idNumber.slice(6, 14)).toBe(person.birthDate.replaceAll("-", ""));
    }
  });
});
