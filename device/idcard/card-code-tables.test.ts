import { describe, expect, it } from "vitest";
import { decodeEthnicity, decodeGender, decodeNationality, NATIONALITY_CODE_COUNT } from "./card-code-tables.js";

describe("card code tables", () => {
  it("decodes GB 3304 nation codes 01-56, 97 and 98, and nothing else", () => {
    expect(decodeEthnicity("01")).toEqual({ code: "01", name: "汉" });
    expect(decodeEthnicity("08")).toEqual({ code: "08", name: "壮" });
    expect(decodeEthnicity("56")).toEqual({ code: "56", name: "基诺" });
    expect(decodeEthnicity("97")?.name).toBe("其他");
    expect(decodeEthnicity("98")?.name).toBe("外国血统中国籍人士");
    for (const bad of ["00", "57", "96", "99", "1", "汉"]) expect(decodeEthnicity(bad), bad).toBeUndefined();
  });

  it("decodes GB/T 2261.1 gender codes", () => {
    expect(decodeGender("1")).toEqual({ code: "1", label: "male" });
    expect(decodeGender("2")).toEqual({ code: "2", label: "female" });
    expect(decodeGender("3")).toBeUndefined();
  });

  it("names ISO 3166-1 alpha-3 nationalities and keeps unlisted well-formed codes", () => {
    expect(NATIONALITY_CODE_COUNT).toBe(249);
    expect(decodeNationality("JPN")).toEqual({ code: "JPN", nameEn: "Japan", nameZh: "日本" });
    expect(decodeNationality("DEU")?.nameEn).toBe("Germany");
    expect(decodeNationality("XXA")).toEqual({ code: "XXA", nameEn: undefined, nameZh: undefined });
    expect(decodeNationality("us")).toBeUndefined();
  });
});
