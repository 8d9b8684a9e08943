import { describe, expect, it } from "vitest";
import { CsvRecordFramer, type FramedRecord } from "./csv-record-framer.js";

function frame(chunks: readonly string[], maxRowChars = 1000, quoteAware = true): FramedRecord[] {
  const framer = new CsvRecordFramer({ maxRowChars, quoteAware });
  return [...chunks.flatMap((c) => framer.push(c)), ...framer.end()];
}

describe("CSV record framer", () => {
  it("keeps quoted newlines, escaped quotes and CRLF inside one record, whatever the chunking", () => {
    const text = 'h1,h2\r\n1,"a\r\nb"\r\n2,"say ""hi"""\r\n\r\n3,x';
    const whole = frame([text]);
    const byChar = frame(text.split("")); // UTF-16 units: a split CRLF must still frame alike
    expect(byChar).toEqual(whole);
    expect(whole).toEqual([
      { kind: "record", row: 1, text: "h1,h2" },
      { kind: "record", row: 2, text: '1,"a\r\nb"' },
      { kind: "record", row: 3, text: '2,"say ""hi"""' },
      { kind: "record", row: 5, text: "3,x" },
    ]);
  });

  it("reports broken quoting and resynchronises at the next line end", () => {
    const records = frame(['h\na,"b"c,d\n3,"q\nq"\nx"y,z\n5,6\n"open,7']);
    expect(records.map((r) => [r.kind, r.row])).toEqual([
      ["record", 1],
      ["bad", 2],
      ["record", 3],
      ["bad", 4],
      ["record", 5],
      ["bad", 6],
    ]);
    expect(records[2]).toMatchObject({ text: '3,"q\nq"' });
  });

  it("drops an over-long record without holding it, and frames the next one", () => {
    const framer = new CsvRecordFramer({ maxRowChars: 100, quoteAware: true });
    expect(framer.push("h\n")).toHaveLength(1);
    for (let i = 0; i < 1000; i++) expect(framer.push("x".repeat(1000))).toEqual([]);
    const rest = [...framer.push("\nok,1\n"), ...framer.end()];
    expect(rest).toEqual([
      { kind: "bad", row: 2, code: "row_too_large", reason: "row of 1000000 characters exceeds 100" },
      { kind: "record", row: 3, text: "ok,1" },
    ]);
  });

  it("splits on every line end when not quote-aware (JSON lines)", () => {
    expect(frame(['{"a":"x\\"y"}\n{"b":1}'], 100, false).map((r) => r.kind === "record" && r.text)).toEqual(['{"a":"x\\"y"}', '{"b":1}']);
  });
});
