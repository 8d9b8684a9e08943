import { isUtf8 } from "node:buffer";
import iconv from "iconv-lite";

/**
 * Chinese hospital exports are UTF-8 (often with a BOM, as Excel writes it) or GBK/GB18030.
 * GB18030 is a superset of GBK and GB2312, so one decoder serves all three. Detection: a BOM decides;
 * otherwise the first `SNIFF_BYTES` are tried as strict UTF-8 and anything that fails is GB18030
 * (GBK's two-byte sequences are almost never valid UTF-8). Bytes that still do not decode become
 * U+FFFD, which the row parser rejects as `invalid_encoding` (a GBK row pasted into a UTF-8 file).
 */
export const BILLING_ENCODINGS = ["auto", "utf-8", "gb18030"] as const;
export type BillingEncoding = (typeof BILLING_ENCODINGS)[number];
export type DetectedEncoding = "utf-8" | "gb18030" | "utf-16le" | "utf-16be";

export const SNIFF_BYTES = 64 * 1024;

interface StreamingDecoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

export function detectEncoding(prefix: Uint8Array): { encoding: DetectedEncoding; bomBytes: number } {
  if (prefix[0] === 0xef && prefix[1] === 0xbb && prefix[2] === 0xbf) return { encoding: "utf-8", bomBytes: 3 };
  if (prefix[0] === 0x84 && prefix[1] === 0x31 && prefix[2] === 0x95 && prefix[3] === 0x33) return { encoding: "gb18030", bomBytes: 4 };
  if (prefix[0] === 0xff && prefix[1] === 0xfe) return { encoding: "utf-16le", bomBytes: 2 };
  if (prefix[0] === 0xfe && prefix[1] === 0xff) return { encoding: "utf-16be", bomBytes: 2 };
  try {
    // stream: true tolerates a multi-byte character cut at the end of the prefix.
    new TextDecoder("utf-8", { fatal: true }).decode(prefix, { stream: true });
    return { encoding: "utf-8", bomBytes: 0 };
  } catch {
    return { encoding: "gb18030", bomBytes: 0 };
  }
}

/** A line longer than this (bytes) is decoded as GB18030 as it streams, not held to be checked whole. */
export const MIXED_LINE_CHECK_BYTES = 256 * 1024;

/**
 * GB18030 with UTF-8 lines inside, as when a UTF-8 row is pasted into a GBK export. Decoded as
 * GB18030, UTF-8's three-byte Chinese characters are mostly valid two-byte GB18030 pairs, so a cell
 * with an even number of characters would land silently garbled. Each line (0x0A never occurs inside
 * a multi-byte character of either encoding) that is strictly valid UTF-8 and not plain ASCII is
 * decoded as UTF-8 instead; real GBK text is almost never valid UTF-8 (the same bet detectEncoding
 * makes). Lines longer than MIXED_LINE_CHECK_BYTES stream through GB18030 unchecked, so memory stays
 * bounded (the row framer rejects them as too large anyway).
 */
function gb18030WithUtf8Lines(): StreamingDecoder {
  const gb = iconv.getDecoder("gb18030");
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let streaming = false; // the current line outgrew the check and goes straight to GB18030
  const decodeLine = (line: Buffer): string => {
    if (streaming) return gb.write(line);
    return line.some((byte) => byte >= 0x80) && isUtf8(line) ? line.toString("utf8") : gb.write(line);
  };
  return {
    write(bytes) {
      const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let out = "";
      let start = 0;
      for (let end = chunk.indexOf(0x0a); end >= 0; end = chunk.indexOf(0x0a, start)) {
        out += decodeLine(Buffer.concat([...pending, chunk.subarray(start, end + 1)]));
        pending = [];
        pendingBytes = 0;
        streaming = false;
        start = end + 1;
      }
      const rest = chunk.subarray(start);
      if (streaming) return out + gb.write(rest);
      pending.push(Buffer.from(rest));
      pendingBytes += rest.byteLength;
      if (pendingBytes > MIXED_LINE_CHECK_BYTES) {
        streaming = true;
        out += gb.write(Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      }
      return out;
    },
    end() {
      const last = pendingBytes > 0 ? decodeLine(Buffer.concat(pending)) : "";
      pending = [];
      return last + (gb.end() ?? "");
    },
  };
}

export function streamingDecoder(encoding: DetectedEncoding): StreamingDecoder {
  if (encoding === "gb18030") return gb18030WithUtf8Lines();
  if (encoding === "utf-16be") {
    const decoder = iconv.getDecoder(encoding);
    return { write: (bytes) => decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), end: () => decoder.end() ?? "" };
  }
  const decoder = new TextDecoder(encoding, { ignoreBOM: true });
  return { write: (bytes) => decoder.decode(bytes, { stream: true }), end: () => decoder.decode() };
}

/**
 * Decodes a byte stream to text chunks. With `forced` the named encoding is used (a BOM of it is
 * still stripped); with "auto" the first SNIFF_BYTES decide. Reports the encoding it chose.
 */
export async function* decodeText(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  forced: BillingEncoding,
  onEncoding: (encoding: DetectedEncoding) => void,
): AsyncGenerator<string> {
  const iterator = asAsync(source)[Symbol.asyncIterator]();
  const sniffed: Uint8Array[] = [];
  let sniffedBytes = 0;
  let done = false;
  while (sniffedBytes < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    const bytes = typeof next.value === "string" ? Buffer.from(next.value, "utf8") : next.value;
    sniffed.push(bytes);
    sniffedBytes += bytes.byteLength;
  }
  const prefix = Buffer.concat(sniffed);
  const detected = detectEncoding(prefix.subarray(0, SNIFF_BYTES));
  const encoding: DetectedEncoding = forced === "auto" ? detected.encoding : forced;
  const bomBytes = detected.encoding === encoding ? detected.bomBytes : 0;
  onEncoding(encoding);
  const decoder = streamingDecoder(encoding);
  const first = decoder.write(prefix.subarray(bomBytes));
  if (first !== "") yield first;
  while (!done) {
    const next = await iterator.next();
    if (next.done === true) break;
    const text = decoder.write(typeof next.value === "string" ? Buffer.from(next.value, "utf8") : next.value);
    if (text !== "") yield text;
  }
  const last = decoder.end();
  if (last !== "") yield last;
}

async function* asAsync<T>(source: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  for await (const item of source) yield item;
}
