import { createHash, createPublicKey, sign as nodeSign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, EVENT_SIGNING_DOMAIN, eventSigningBytes } from "./canonical-form.js";
import {
  generateBoxKeyPair,
  keyIdOf,
  privateKeyFromSeed,
  publicKeyFromRaw,
  rawPublicKey,
  signEvent,
  verifyEventSignature,
} from "./event-signature.js";
import { exampleBoxes, exampleMessages } from "./examples.js";
import type { EventMessage, UnsignedEvent } from "./messages/event.js";

const { dialysis, ward } = exampleBoxes();
const dialysisPublicKey = publicKeyFromRaw(dialysis.publicKey);
const checkIn = exampleMessages().dialysisCheckIn.message;

function unsigned(event: EventMessage): UnsignedEvent {
  const copy: Partial<EventMessage> = { ...event };
  delete copy.sig;
  return copy as UnsignedEvent;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Paths to every leaf value (and every empty array) of a JSON value. */
function leafPaths(value: Json, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [path] : value.flatMap((item, index) => leafPaths(item, [...path, index]));
  }
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => leafPaths(item, [...path, key]));
  }
  return [path];
}

function changed(value: Json): Json {
  if (typeof value === "number") return value + 1;
  if (typeof value === "string") return `${value}0`;
  if (typeof value === "boolean") return !value;
  if (Array.isArray(value)) return [null];
  return "x";
}

/** A deep copy of `event` with the value at `path` changed. */
function withChange(event: EventMessage, path: (string | number)[]): EventMessage {
  const copy = structuredClone(event) as unknown as Json;
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (last === undefined) throw new Error("empty path");
  parent[last] = changed(parent[last] ?? null);
  return copy as unknown as EventMessage;
}

/** The same JSON value with every object's members in reverse order. */
function reversedKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reversedKeys(item)]));
  }
  return value;
}

describe("event signatures", () => {
  it("a signed event verifies with the box's key", () => {
    const signed = signEvent(unsigned(checkIn), dialysis.privateKey);
    expect(signed.sig.alg).toBe("Ed25519");
    expect(signed.sig.keyId).toBe(keyIdOf(dialysisPublicKey));
    expect(signed.sig.value).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(verifyEventSignature(signed, dialysisPublicKey, dialysis.keyId)).toEqual({ ok: true });
  });

  it("signing ignores an existing sig and is deterministic (RFC 8032 §5.1.6)", () => {
    expect(signEvent(checkIn, dialysis.privateKey)).toEqual(checkIn);
  });

  const events = Object.entries(exampleMessages()).flatMap(([name, example]) =>
    example.kind === "events" ? [[name, example.message] as const] : [],
  );
  const cases = events.flatMap(([name, event]) => {
    const box = event.box === dialysis.box ? dialysis : ward;
    return leafPaths(unsigned(event) as unknown as Json).map((path) => [`${name}: ${path.join(".")}`, event, path, box] as const);
  });

  it("covers every field of every example event", () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases)("changing %s breaks verification", (_label, event, path, box) => {
    const tampered = withChange(event, path);
    expect(verifyEventSignature(tampered, publicKeyFromRaw(box.publicKey), box.keyId)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("member order and whitespace of the JSON do not matter (RFC 8785 canonical form)", () => {
    const text = JSON.stringify(reversedKeys(checkIn), null, "\t");
    expect(text).not.toBe(JSON.stringify(checkIn));
    const reparsed = JSON.parse(text) as EventMessage;
    expect(Object.keys(reparsed)[0]).toBe("sig");
    expect(verifyEventSignature(reparsed, dialysisPublicKey, dialysis.keyId)).toEqual({ ok: true });
  });

  it("an event signed by another box's key is wrong_key", () => {
    const signedByWard = signEvent(unsigned(checkIn), ward.privateKey);
    const result = verifyEventSignature(signedByWard, dialysisPublicKey, dialysis.keyId);
    expect(result).toMatchObject({ ok: false, reason: "wrong_key" });
  });

  it("a signature by another key under the registered key id is bad_signature", () => {
    const forged = { ...checkIn, sig: { ...signEvent(unsigned(checkIn), ward.privateKey).sig, keyId: dialysis.keyId } };
    expect(verifyEventSignature(forged, dialysisPublicKey, dialysis.keyId)).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("signs exactly the domain line followed by the JCS form without sig", () => {
    const bytes = eventSigningBytes(checkIn);
    const text = bytes.toString("utf8");
    expect(text.startsWith("carewitness-event-v1\n")).toBe(true);
    expect(EVENT_SIGNING_DOMAIN).toHaveLength(21);
    const body = JSON.parse(text.slice(EVENT_SIGNING_DOMAIN.length)) as Record<string, unknown>;
    expect(body).toEqual(unsigned(checkIn));
    expect(Object.keys(body)).toEqual(Object.keys(body).sort());
    // An independent signature over those bytes with node's Ed25519 is the event's signature.
    expect(nodeSign(null, bytes, dialysis.privateKey).toString("base64url")).toBe(checkIn.sig.value);
  });
});

describe("canonical form (RFC 8785)", () => {
  it("sorts members by UTF-16 code units, drops whitespace and writes numbers in shortest form", () => {
    expect(canonicalJson({ b: 1.0, a: [1e21, 0.5, -0], "\u20ac": "x", Z: null })).toBe('{"Z":null,"a":[1e+21,0.5,0],"b":1,"€":"x"}');
  });

  it("escapes strings minimally", () => {
    expect(canonicalJson({ s: 'quote " slash / tab \t ü \u0001' })).toBe('{"s":"quote \\" slash / tab \\t ü \\u0001"}');
  });

  it("refuses values without a JSON form", () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});

describe("keys", () => {
  it("a raw public key round-trips", () => {
    const { publicKey } = generateBoxKeyPair();
    const raw = rawPublicKey(publicKey);
    expect(Buffer.from(raw, "base64url")).toHaveLength(32);
    expect(raw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rawPublicKey(publicKeyFromRaw(raw))).toBe(raw);
    expect(publicKeyFromRaw(raw).equals(publicKey)).toBe(true);
  });

  it("the raw key is the last 32 bytes of the SPKI DER (RFC 8410)", () => {
    const der = dialysisPublicKey.export({ format: "der", type: "spki" });
    expect(der.subarray(0, 12).toString("hex")).toBe("302a300506032b6570032100");
    expect(der.subarray(12).toString("base64url")).toBe(dialysis.publicKey);
  });

  it("the key id is the first 16 hex of SHA-256 over the raw key", () => {
    const expected = createHash("sha256").update(Buffer.from(dialysis.publicKey, "base64url")).digest("hex").slice(0, 16);
    expect(keyIdOf(dialysisPublicKey)).toBe(expected);
  });

  it("the same seed gives the same key", () => {
    const seed = new Uint8Array(32).fill(7);
    expect(rawPublicKey(createPublicKey(privateKeyFromSeed(seed)))).toBe(rawPublicKey(createPublicKey(privateKeyFromSeed(seed))));
  });

  it.each([31, 33, 0])("refuses a %i-byte key or seed", (length) => {
    expect(() => publicKeyFromRaw(Buffer.alloc(length, 1).toString("base64url"))).toThrow(RangeError);
    expect(() => privateKeyFromSeed(new Uint8Array(length))).toThrow(RangeError);
  });
});
