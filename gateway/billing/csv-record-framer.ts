/**
 * Cuts decoded CSV text into records before any field parsing, so memory stays bounded whatever
 * the input: a record longer than `maxRowChars` is dropped as it streams past (its quoting is still
 * followed, so its end is found) and reported as `row_too_large` instead of being buffered. It also
 * checks RFC 4180 quoting (§2.5-2.7) and, on a break, resynchronises at the next physical line end,
 * so one broken row cannot swallow its neighbours. csv-parse then only ever sees well-formed records.
 *
 * Rows are numbered as a spreadsheet shows them: the header is row 1, and a blank line still takes a
 * row number (records with quoted newlines take one row each).
 */
export type FramedRecord =
  | { readonly kind: "record"; readonly row: number; readonly text: string }
  | { readonly kind: "bad"; readonly row: number; readonly code: "row_too_large" | "malformed_csv"; readonly reason: string };

export interface FramerOptions {
  readonly maxRowChars: number;
  /** false for JSON lines: every line end ends a record. */
  readonly quoteAware: boolean;
}

export class CsvRecordFramer {
  private parts: string[] = [];
  private length = 0;
  private row = 0;
  private inQuotes = false;
  private quoteClosed = false;
  private fieldStart = true;
  private skipLf = false;
  private oversize = false;
  private malformed: string | null = null;

  constructor(private readonly options: FramerOptions) {}

  push(chunk: string): FramedRecord[] {
    const out: FramedRecord[] = [];
    let segStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.skipLf) {
        this.skipLf = false;
        if (c === LF) {
          segStart = i + 1;
          continue;
        }
      }
      if (this.inQuotes) {
        if (c === QUOTE) {
          this.inQuotes = false;
          this.quoteClosed = true;
        }
        continue;
      }
      if (c === LF || c === CR) {
        this.take(chunk, segStart, i);
        segStart = i + 1;
        this.skipLf = c === CR;
        const record = this.finish();
        if (record !== null) out.push(record);
        continue;
      }
      if (!this.options.quoteAware || this.malformed !== null) continue;
      if (this.quoteClosed) {
        this.quoteClosed = false;
        if (c === QUOTE) {
          this.inQuotes = true; // an escaped "" inside a quoted cell
          continue;
        }
        if (c !== COMMA) {
          this.breakQuoting("text after a closing quote");
          continue;
        }
      }
      if (c === QUOTE) {
        if (this.fieldStart) {
          this.inQuotes = true;
          this.fieldStart = false;
        } else {
          this.breakQuoting("a quote inside an unquoted cell");
        }
        continue;
      }
      this.fieldStart = c === COMMA;
    }
    this.take(chunk, segStart, chunk.length);
    return out;
  }

  end(): FramedRecord[] {
    if (this.inQuotes) {
      this.inQuotes = false;
      this.breakQuoting("a quoted cell is never closed");
    }
    const record = this.finish();
    return record === null ? [] : [record];
  }

  private breakQuoting(reason: string): void {
    // Quoting is no longer trustworthy: from here the record ends at the next physical line end.
    this.malformed ??= reason;
    this.inQuotes = false;
    this.quoteClosed = false;
  }

  private take(chunk: string, from: number, to: number): void {
    if (to <= from) return;
    this.length += to - from;
    if (this.oversize) return;
    if (this.length > this.options.maxRowChars) {
      this.oversize = true;
      this.parts = [];
      return;
    }
    this.parts.push(chunk.slice(from, to));
  }

  private finish(): FramedRecord | null {
    const { length, oversize, malformed } = this;
    const text = oversize ? "" : this.parts.join("");
    this.parts = [];
    this.length = 0;
    this.oversize = false;
    this.malformed = null;
    this.quoteClosed = false;
    this.fieldStart = true;
    if (length === 0) {
      this.row += 1; // a blank line: it has a row number but no record
      return null;
    }
    this.row += 1;
    if (oversize) return { kind: "bad", row: this.row, code: "row_too_large", reason: `row of ${length} characters exceeds ${this.options.maxRowChars}` };
    if (malformed !== null) return { kind: "bad", row: this.row, code: "malformed_csv", reason: malformed };
    return { kind: "record", row: this.row, text };
  }
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;
