import canonicalizeModule from "canonicalize";

// The package is CommonJS (`module.exports = serialize`) but declares an ES default export, which
// NodeNext resolution types as the module object; at run time the default import is the function.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/**
 * The bytes an event signature covers:
 *
 *   "carewitness-event-v1\n" || JCS(event without its `sig` member)
 *
 * JCS is the JSON Canonicalization Scheme (RFC 8785): object members sorted by UTF-16 code units, no
 * whitespace, numbers in ECMAScript shortest form, strings with minimal escaping, encoded as UTF-8.
 * The prefix separates this signing domain from any other use of the box's key.
 */
export const EVENT_SIGNING_DOMAIN = "carewitness-event-v1\n";

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("canonicalJson: value has no JSON form");
  return text;
}

export function eventSigningBytes(event: object): Buffer {
  const unsigned: Record<string, unknown> = { ...event };
  delete unsigned.sig;
  return Buffer.from(EVENT_SIGNING_DOMAIN + canonicalJson(unsigned), "utf8");
}
