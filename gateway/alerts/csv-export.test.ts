import { describe, expect, it } from "vitest";
import { csvCell, csvDocument } from "./csv-export.js";

describe("CSV for spreadsheets", () => {
  it("makes text that starts like a formula inert, and leaves other text and numbers alone", () => {
    expect(["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"].map(csvCell)).toEqual(["'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "\"'\rx\""]);
    expect(["a=b", "王*英", "1101**********001X", ""].map(csvCell)).toEqual(["a=b", "王*英", "1101**********001X", ""]);
    expect([-3, 0.5, true, null].map(csvCell)).toEqual(["-3", "0.5", "true", ""]);
  });

  it("quotes cells with commas, quotes and line breaks (RFC 4180), with CRLF rows after a UTF-8 BOM", () => {
    expect(csvCell('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    expect(csvDocument(["a", "b"], [["1,2", null], ["x", 3]])).toBe('\uFEFFa,b\r\n"1,2",\r\nx,3\r\n');
  });
});
