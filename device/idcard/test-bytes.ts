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
