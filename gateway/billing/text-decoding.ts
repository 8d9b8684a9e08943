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

export function streamingDecoder(encoding: DetectedEncoding): StreamingDecoder {
  if (encoding === "gb18030" || encoding === "utf-16be") {
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
