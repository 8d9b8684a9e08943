import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadBoxKey, loadOrCreateBoxKey } from "./box-key.js";
import { readHexKey, writeSecretFile } from "./secret-files.js";

const dir = mkdtempSync(join(tmpdir(), "cw-box-key-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("the box's key and secret files", () => {
  it("makes an Ed25519 key once, mode 0600, and reuses it afterwards", () => {
    const path = join(dir, "box.key");
    const made = loadOrCreateBoxKey(path);
    expect(made.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(made.publicKey, "base64url")).toHaveLength(32);
    const again = loadOrCreateBoxKey(path);
    expect(again).toMatchObject({ created: false, publicKey: made.publicKey, keyId: made.keyId });
  });

  it("refuses a secret other users can read, a missing one, and one that is not what it should be", () => {
    const path = join(dir, "pseudonym.key");
    writeSecretFile(path, "ab".repeat(32));
    expect(readHexKey(path, 32)).toHaveLength(32);
    chmodSync(path, 0o644);
    expect(() => readHexKey(path, 32)).toThrow(expect.objectContaining({ code: "secret_exposed" }) as Error);
    expect(() => readHexKey(join(dir, "absent.key"), 32)).toThrow(expect.objectContaining({ code: "secret_missing" }) as Error);
    const short = join(dir, "short.key");
    writeSecretFile(short, "ab".repeat(16));
    expect(() => readHexKey(short, 32)).toThrow(expect.objectContaining({ code: "secret_invalid" }) as Error);
    const notPem = join(dir, "not-pem.key");
    writeFileSync(notPem, "hello", { mode: 0o600 });
    expect(() => loadBoxKey(notPem)).toThrow(expect.objectContaining({ code: "key_unreadable" }) as Error);
  });
});
