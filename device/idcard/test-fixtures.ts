import type { IdCard } from "./id-card.js";

/** Test helper: hex text (spaces and newlines allowed) to bytes. Shared by this folder's tests only. */
export function hexBytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/gu, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/u.test(clean)) throw new Error(`not hex: ${text}`);
  return Uint8Array.from(clean.match(/../gu) ?? [], (pair) => parseInt(pair, 16));
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** xorshift32: a fixed seed keeps a fuzz failure reproducible. */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** The resident card of the reference's first test vector (11010519491231002X), as the parser yields it. */
export const SAMPLE_RESIDENT_CARD: IdCard = {
  cardType: "resident_id",
  name: "张三",
  gender: { code: "2", label: "female" },
  ethnicity: { code: "01", name: "汉" },
  birthDate: { year: 1949, month: 12, day: 31, iso: "1949-12-31" },
  address: "北京市东城区",
  idNumber: "11010519491231002X",
  issuingAuthority: "北京市公安局",
  validFrom: { year: 2010, month: 1, day: 1, iso: "2010-01-01" },
  validTo: "long_term",
  warnings: [],
};
