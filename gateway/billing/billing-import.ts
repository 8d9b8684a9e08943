import { hash } from "node:crypto";
import { parse } from "csv-parse";
import { aliasRank, ALWAYS_REQUIRED, canonicalColumn, type BillingColumn } from "./billing-columns.js";
import type { BilledItem, BillingRejection } from "./billed-item.js";
import { parseBilledRow, type BillingCells } from "./billed-row-parser.js";
import { CsvRecordFramer, type FramedRecord } from "./csv-record-framer.js";
import { itemCatalogue, type ItemCatalogue } from "./item-catalogue.js";
import { decodeText, type BillingEncoding, type DetectedEncoding } from "./text-decoding.js";

/**
 * Streaming import of a billed-items export (CSV with a header row, or JSON lines) into validated
 * BilledItems and typed rejections. It is an async generator, so the consumer's pace is the import's
 * pace and memory stays bounded by one chunk plus one row, whatever the file's size; the one thing
 * that grows is the per-import index of line ids that makes duplicates detectable (a short hash per
 * line). Good rows beside bad ones land.
 */
export interface BillingImportOptions {
  /** The deployment's pseudonym key (≥ 32 bytes): ID numbers are hashed under it and dropped. */
  readonly pseudonymKey: Uint8Array;
  readonly catalogue?: ItemCatalogue;
  readonly encoding?: BillingEncoding;
  /** "auto": `{` or `[` as the first character means JSON, anything else CSV. */
  readonly format?: "auto" | "csv" | "jsonl";
  /** Longest row (in characters) read; longer rows are skipped as row_too_large. */
  readonly maxRowChars?: number;
}

export const DEFAULT_MAX_ROW_CHARS = 64 * 1024;

export type BillingImportEntry =
  | {
      readonly type: "header";
      readonly format: "csv" | "jsonl";
      readonly encoding: DetectedEncoding;
      readonly columns: readonly BillingColumn[];
      /** Header cells that name no known column; their values are ignored. */
      readonly ignoredColumns: readonly string[];
    }
  | { readonly type: "item"; readonly row: number; readonly item: BilledItem }
  | { readonly type: "rejection"; readonly rejection: BillingRejection }
  /** Same institution and line id, same body, as an earlier row: not a second billed line. */
  | { readonly type: "duplicate"; readonly row: number; readonly institution: string; readonly lineId: string };

interface ColumnMap {
  /** For each canonical column, the cell index that feeds it, in alias precedence. */
  readonly sources: ReadonlyMap<BillingColumn, readonly number[]>;
  /** The same as a list, walked once per row. */
  readonly sourceList: readonly (readonly [BillingColumn, readonly number[]])[];
  readonly width: number;
}

function columnMap(header: readonly string[]): { map: ColumnMap; ignored: string[] } {
  const sources = new Map<BillingColumn, { index: number; rank: number }[]>();
  const ignored: string[] = [];
  header.forEach((cell, index) => {
    const column = canonicalColumn(cell);
    if (column === null) {
      if (cell.trim() !== "") ignored.push(cell.trim().slice(0, 64));
      return;
    }
    const list = sources.get(column) ?? [];
    list.push({ index, rank: aliasRank(cell, column) });
    sources.set(column, list);
  });
  const ordered = new Map<BillingColumn, number[]>();
  for (const [column, list] of sources) ordered.set(column, list.sort((a, b) => a.rank - b.rank || a.index - b.index).map((s) => s.index));
  return { map: { sources: ordered, sourceList: [...ordered.entries()], width: header.length }, ignored };
}

function cellsOf(record: readonly string[], map: ColumnMap): Map<BillingColumn, string> {
  const cells = new Map<BillingColumn, string>();
  for (const [column, indices] of map.sourceList) {
    for (const index of indices) {
      const value = record[index];
      if (value !== undefined && value.trim() !== "") {
        cells.set(column, value);
        break;
      }
    }
  }
  return cells;
}

/**
 * Line-id index: per institution, line id → 48 bits of a hash of the validated body (a heap number,
 * not a string, to keep the index near 100 bytes a line). A false "duplicate" needs two different
 * bodies under one line id to collide in 48 bits.
 */
/** Every field in a fixed order (the item's own key order), joined by a separator no cell may hold. */
function bodyText(item: BilledItem): string {
  return Object.values(item).map((v) => (Array.isArray(v) ? v.join(",") : String(v))).join("\u001f");
}

class LineIndex {
  private readonly seen = new Map<string, Map<string, number>>();

  check(item: BilledItem): "new" | "duplicate" | "conflict" {
    let lines = this.seen.get(item.institution);
    if (lines === undefined) {
      lines = new Map();
      this.seen.set(item.institution, lines);
    }
    const body = Number.parseInt(hash("sha1", bodyText(item), "hex").slice(0, 12), 16);
    const before = lines.get(item.lineId);
    if (before === undefined) {
      // A copy, so the key does not keep the row's text alive (V8 sliced strings share their parent).
      lines.set(Buffer.from(item.lineId, "utf8").toString("utf8"), body);
      return "new";
    }
    return before === body ? "duplicate" : "conflict";
  }
}

class RowValidator {
  private readonly lines = new LineIndex();
  private readonly catalogue: ItemCatalogue;

  constructor(private readonly options: BillingImportOptions) {
    this.catalogue = options.catalogue ?? itemCatalogue();
  }

  validate(cells: BillingCells, row: number): BillingImportEntry[] {
    const result = parseBilledRow(cells, { row, pseudonymKey: this.options.pseudonymKey, catalogue: this.catalogue });
    if (!result.ok) return result.rejections.map((rejection) => ({ type: "rejection", rejection }));
    const { item } = result;
    switch (this.lines.check(item)) {
      case "new":
        return [{ type: "item", row, item }];
      case "duplicate":
        return [{ type: "duplicate", row, institution: item.institution, lineId: item.lineId }];
      case "conflict":
        return [
          {
            type: "rejection",
            rejection: { code: "duplicate_line_conflict", row, column: "line_id", reason: "line id seen earlier in this import with a different body", lineId: item.lineId },
          },
        ];
    }
  }
}

function badRecord(record: FramedRecord & { kind: "bad" }): BillingImportEntry {
  return { type: "rejection", rejection: { code: record.code, row: record.row, column: null, reason: record.reason, lineId: null } };
}

/**
 * Field parsing of framed records, in row order with the framer's bad records. A record with a quote
 * character goes through one csv-parse instance; a record without one is split on its commas, which
 * is exactly what RFC 4180 §2.4 makes it (the framer has already checked the quoting), at a fraction
 * of the cost. csv-parse holds the last record of a write back until it sees more input (lookahead for
 * delimiters), so records wait in `pending` until their fields are known.
 */
class CsvFields {
  private readonly captured: string[][] = [];
  private readonly pending: { record: FramedRecord; fields: string[] | null }[] = [];
  private readonly parser = parse({
    relax_column_count: true,
    on_record: (record: string[]) => {
      this.captured.push(record);
      return null;
    },
  });

  /** Framed records in; (record, fields) pairs out, in order, as far as csv-parse has got. */
  push(records: readonly FramedRecord[]): [FramedRecord, string[]][] {
    const quoted: string[] = [];
    for (const record of records) {
      if (record.kind === "record" && record.text.includes('"')) {
        quoted.push(record.text);
        this.pending.push({ record, fields: null });
      } else {
        this.pending.push({ record, fields: record.kind === "record" ? record.text.split(",") : [] });
      }
    }
    if (quoted.length > 0) this.parser.write(`${quoted.join("\n")}\n`);
    return this.drain();
  }

  async end(): Promise<[FramedRecord, string[]][]> {
    await new Promise<void>((resolve, reject) => {
      this.parser.once("error", reject);
      this.parser.end(resolve);
    });
    const out = this.drain();
    // Every framed record is well-formed, so csv-parse yields exactly one record for each.
    if (this.pending.length > 0) throw new Error(`csv-parse left ${this.pending.length} records unparsed`);
    return out;
  }

  private drain(): [FramedRecord, string[]][] {
    const out: [FramedRecord, string[]][] = [];
    let used = 0;
    let taken = 0;
    for (const entry of this.pending) {
      let fields = entry.fields;
      if (fields === null) {
        fields = this.captured[used] ?? null;
        if (fields === null) break;
        used += 1;
      }
      out.push([entry.record, fields]);
      taken += 1;
    }
    this.pending.splice(0, taken);
    this.captured.splice(0, used);
    return out;
  }
}

async function* csvEntries(text: AsyncIterable<string>, first: string, encoding: DetectedEncoding, options: BillingImportOptions): AsyncGenerator<BillingImportEntry> {
  const framer = new CsvRecordFramer({ maxRowChars: options.maxRowChars ?? DEFAULT_MAX_ROW_CHARS, quoteAware: true });
  const fields = new CsvFields();
  const validator = new RowValidator(options);
  let map: ColumnMap | null = null;

  /** Returns false when the file cannot be read further (a header without a required column). */
  function* handle(parsed: readonly [FramedRecord, string[]][]): Generator<BillingImportEntry, boolean> {
    for (const [record, cells] of parsed) {
      if (record.kind === "bad") {
        yield badRecord(record);
        if (map === null) return false;
        continue;
      }
      if (map === null) {
        const built = columnMap(cells);
        map = built.map;
        yield { type: "header", format: "csv", encoding, columns: [...built.map.sources.keys()], ignoredColumns: built.ignored };
        const missing = ALWAYS_REQUIRED.filter((c) => !built.map.sources.has(c));
        for (const column of missing) {
          yield { type: "rejection", rejection: { code: "missing_column", row: record.row, column, reason: `the header has no ${column} column (or alias)`, lineId: null } };
        }
        if (missing.length > 0) return false;
        continue;
      }
      if (cells.length > map.width) {
        yield { type: "rejection", rejection: { code: "column_count", row: record.row, column: null, reason: `${cells.length} cells for ${map.width} header columns`, lineId: null } };
        continue;
      }
      yield* validator.validate(cellsOf(cells, map), record.row);
    }
    return true;
  }

  if (!(yield* handle(fields.push(framer.push(first))))) return;
  for await (const chunk of text) {
    if (!(yield* handle(fields.push(framer.push(chunk))))) return;
  }
  yield* handle(fields.push(framer.end()));
  yield* handle(await fields.end());
}

function jsonCells(value: unknown): Map<BillingColumn, string> | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const cells = new Map<BillingColumn, string>();
  const ranks = new Map<BillingColumn, number>();
  for (const [key, raw] of Object.entries(value)) {
    const column = canonicalColumn(key);
    if (column === null || raw === null) continue;
    if (typeof raw !== "string" && typeof raw !== "number") return null;
    const text = String(raw);
    const rank = aliasRank(key, column);
    if (text.trim() === "" || (ranks.get(column) ?? Infinity) <= rank) continue;
    ranks.set(column, rank);
    cells.set(column, text);
  }
  return cells;
}

/** Validates rows already in memory (a JSON array from the REST API); row = index + 1. */
export function* importBillingRows(rows: readonly unknown[], options: BillingImportOptions): Generator<BillingImportEntry> {
  const validator = new RowValidator(options);
  for (const [index, value] of rows.entries()) {
    const cells = jsonCells(value);
    if (cells === null) {
      yield { type: "rejection", rejection: { code: "invalid_json", row: index + 1, column: null, reason: "a row must be an object of strings and numbers", lineId: null } };
      continue;
    }
    yield* validator.validate(cells, index + 1);
  }
}

async function* jsonLineEntries(text: AsyncIterable<string>, first: string, encoding: DetectedEncoding, options: BillingImportOptions): AsyncGenerator<BillingImportEntry> {
  const framer = new CsvRecordFramer({ maxRowChars: options.maxRowChars ?? DEFAULT_MAX_ROW_CHARS, quoteAware: false });
  const validator = new RowValidator(options);
  yield { type: "header", format: "jsonl", encoding, columns: [], ignoredColumns: [] };
  function* handle(records: readonly FramedRecord[]): Generator<BillingImportEntry> {
    for (const record of records) {
      if (record.kind === "bad") {
        yield badRecord(record);
        continue;
      }
      if (record.text.trim() === "") continue;
      let cells: Map<BillingColumn, string> | null = null;
      try {
        cells = jsonCells(JSON.parse(record.text));
      } catch {
        cells = null;
      }
      if (cells === null) {
        yield { type: "rejection", rejection: { code: "invalid_json", row: record.row, column: null, reason: "not a JSON object of strings and numbers", lineId: null } };
        continue;
      }
      yield* validator.validate(cells, record.row);
    }
  }
  yield* handle(framer.push(first));
  for await (const chunk of text) yield* handle(framer.push(chunk));
  yield* handle(framer.end());
}

/** Streams entries from a byte (or text) source: a file stream, a request body, a generator. */
export async function* importBilling(source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, options: BillingImportOptions): AsyncGenerator<BillingImportEntry> {
  let encoding: DetectedEncoding = "utf-8";
  const text = decodeText(source, options.encoding ?? "auto", (e) => (encoding = e));
  const iterator = text[Symbol.asyncIterator]();
  let first = "";
  while (first.trim() === "") {
    const next = await iterator.next();
    if (next.done === true) break;
    first += next.value;
  }
  const rest: AsyncIterable<string> = { [Symbol.asyncIterator]: () => iterator };
  const format = options.format ?? "auto";
  const json = format === "jsonl" || (format === "auto" && /^\s*[{[]/.test(first));
  if (json && /^\s*\[/.test(first)) {
    // A JSON array must be read whole; JSON lines are the streaming form.
    let whole = first;
    const cap = 32 * 1024 * 1024;
    for await (const chunk of rest) {
      whole += chunk;
      if (whole.length > cap) {
        yield { type: "rejection", rejection: { code: "row_too_large", row: 1, column: null, reason: `a JSON array over ${cap} characters: send JSON lines instead`, lineId: null } };
        return;
      }
    }
    let rows: unknown;
    try {
      rows = JSON.parse(whole);
    } catch {
      rows = null;
    }
    yield { type: "header", format: "jsonl", encoding, columns: [], ignoredColumns: [] };
    if (!Array.isArray(rows)) {
      yield { type: "rejection", rejection: { code: "invalid_json", row: 1, column: null, reason: "not a JSON array of row objects", lineId: null } };
      return;
    }
    yield* importBillingRows(rows, options);
    return;
  }
  yield* json ? jsonLineEntries(rest, first, encoding, options) : csvEntries(rest, first, encoding, options);
}

export interface BillingImportResult {
  readonly encoding: DetectedEncoding | null;
  readonly items: readonly BilledItem[];
  readonly rejections: readonly BillingRejection[];
  readonly duplicates: number;
  readonly ignoredColumns: readonly string[];
}

/** Collects a whole import in memory: for small files, tests and the offline audit. */
export async function collectBillingImport(source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, options: BillingImportOptions): Promise<BillingImportResult> {
  const items: BilledItem[] = [];
  const rejections: BillingRejection[] = [];
  let duplicates = 0;
  let encoding: DetectedEncoding | null = null;
  let ignoredColumns: readonly string[] = [];
  for await (const entry of importBilling(source, options)) {
    switch (entry.type) {
      case "header":
        encoding = entry.encoding;
        ignoredColumns = entry.ignoredColumns;
        break;
      case "item":
        items.push(entry.item);
        break;
      case "rejection":
        rejections.push(entry.rejection);
        break;
      case "duplicate":
        duplicates += 1;
        break;
    }
  }
  return { encoding, items, rejections, duplicates, ignoredColumns };
}
