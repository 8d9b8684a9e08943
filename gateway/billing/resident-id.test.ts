import { describe, expect, it } from "vitest";
import { residentIdCheckChar, residentIdProblem } from "./resident-id.js";

describe("resident ID number (ISO 7064 MOD 11-2)", () => {
  it("accepts the billing-format examples, including an X check character", () => {
    expect(residentIdProblem("11010519491231002X")).toBeNull();
    expect(residentIdProblem("110105194912310011")).toBeNull();
  });

  it("computes the check character from the first 17 digits", () => {
    // GB 11643-1999 annex example.
    expect(residentIdCheckChar("11010519491231002")).toBe("X");
    expect(residentIdCheckChar("44052418800101001")).toBe("4");
  });

  it("rejects a wrong check character, a bad shape and an impossible birth date", () => {
    expect(residentIdProblem("110105194912310012")).toBe("checksum");
    expect(residentIdProblem("11010519491231002")).toBe("format");
    expect(residentIdProblem("11010519491231002x")).toBe("format");
    expect(residentIdProblem("110105194902300010")).toBe("birth_date");
  });

  it("catches every single-digit substitution", () => {
    const valid = "11010519491231002X";
    for (let i = 0; i < 17; i++) {
      for (let d = 0; d <= 9; d++) {
        const digit = String(d);
        if (valid.charAt(i) === digit) continue;
        const changed = valid.slice(0, i) + digit + valid.slice(i + 1);
        expect(residentIdProblem(changed), changed).not.toBeNull();
      }
    }
  });
});
