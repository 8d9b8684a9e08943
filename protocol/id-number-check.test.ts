import { describe, expect, it } from "vitest";
import {
  checkForeignPermanentResident2017Number,
  checkForeignPermanentResident2023Number,
  checkResidencePermitNumber,
  checkResidentIdNumber,
  isCalendarDate,
  mod11_2CheckCharacter,
} from "./id-number-check.js";

describe("ISO 7064 MOD 11-2 (GB 11643-1999)", () => {
  it("accepts the reference's test vectors", () => {
    expect(checkResidentIdNumber("11010519491231002X")).toEqual({ ok: true });
    expect(checkResidentIdNumber("440524188001010014")).toEqual({ ok: true });
    expect(mod11_2CheckCharacter("11010519491231002")).toBe("X");
  });

  it("rejects every wrong check character of a vector", () => {
    for (const c of "0123456789") {
      expect(checkResidentIdNumber(`11010519491231002${c}`)).toMatchObject({ ok: false, problem: "bad_check_character" });
    }
    expect(checkResidentIdNumber("11010519491231002x")).toMatchObject({ ok: false, problem: "bad_format" });
    expect(checkResidentIdNumber("1101051949123100")).toMatchObject({ ok: false, problem: "bad_format" });
  });

  it("catches every single-digit substitution in the first 17 digits", () => {
    const id = "440524188001010014";
    for (let i = 0; i < 17; i++) {
      for (const d of "0123456789") {
        if (d === id[i]) continue;
        expect(checkResidentIdNumber(id.slice(0, i) + d + id.slice(i + 1)).ok, `position ${i} → ${d}`).toBe(false);
      }
    }
  });

  it("checks dates, permit regions and the foreign numbers", () => {
    expect(isCalendarDate("20240229")).toBe(true);
    expect(isCalendarDate("20230229")).toBe(false);
    expect(checkResidentIdNumber("110105194902300012")).toMatchObject({ ok: false });
    expect(checkResidencePermitNumber("810000199001010019")).toEqual({ ok: true });
    expect(checkResidencePermitNumber("440524188001010014")).toMatchObject({ ok: false, problem: "bad_region" });
    expect(checkForeignPermanentResident2023Number("911840198503150024")).toEqual({ ok: true });
    expect(checkForeignPermanentResident2023Number("440524188001010014")).toMatchObject({ ok: false, problem: "bad_region" });
    expect(checkForeignPermanentResident2017Number("USA110090010101")).toEqual({ ok: true });
    expect(checkForeignPermanentResident2017Number("US1110090010101")).toMatchObject({ ok: false });
  });
});
