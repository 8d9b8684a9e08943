import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite-store.js";
import { keyWrappingKey, pseudonymKeyIdOf, siteTemplateKey, unwrapSiteKey, wrapSiteKey } from "./site-template-keys.js";

describe("institution template keys", () => {
  const kek = keyWrappingKey(randomBytes(32));

  it("unwraps only under the same wrapping key, site and key id", () => {
    const key = randomBytes(32);
    const wrapped = wrapSiteKey(kek, "H-1", "tk-1", key);
    expect(unwrapSiteKey(kek, "H-1", "tk-1", wrapped).equals(key)).toBe(true);
    expect(wrapped.includes(key)).toBe(false);
    expect(() => unwrapSiteKey(keyWrappingKey(randomBytes(32)), "H-1", "tk-1", wrapped)).toThrow(expect.objectContaining({ code: "unwrap_failed" }) as Error);
    expect(() => unwrapSiteKey(kek, "H-2", "tk-1", wrapped)).toThrow(/H-2/);
    expect(() => unwrapSiteKey(kek, "H-1", "tk-2", wrapped)).toThrow();
  });

  it("derives a wrapping key distinct from the secret it comes from, and a stable pseudonym key id", () => {
    const secret = randomBytes(32);
    expect(keyWrappingKey(secret).equals(secret)).toBe(false);
    expect(keyWrappingKey(secret).equals(keyWrappingKey(secret))).toBe(true);
    expect(pseudonymKeyIdOf(secret)).toMatch(/^pk-[0-9a-f]{12}$/);
    expect(pseudonymKeyIdOf(secret)).toBe(pseudonymKeyIdOf(Buffer.from(secret)));
    expect(pseudonymKeyIdOf(secret)).not.toBe(pseudonymKeyIdOf(randomBytes(32)));
  });

  it("creates an institution's key once and returns the same key afterwards", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    await store.migrate();
    const first = await siteTemplateKey(store, kek, "H-1");
    const again = await siteTemplateKey(store, kek, "H-1");
    const other = await siteTemplateKey(store, kek, "H-2");
    expect(again).toStrictEqual(first);
    expect(first.key).toHaveLength(32);
    expect(other.key.equals(first.key)).toBe(false);
    await store.close();
  });
});
