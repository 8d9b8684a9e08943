import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BoxSecretsError, keyBytes, loadBoxSecrets } from "./box-secrets.js";

const dir = mkdtempSync(join(tmpdir(), "cw-box-secrets-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function files(signing: string | Buffer, pseudonym: string | Buffer, template: string | Buffer) {
  const name = randomBytes(4).toString("hex");
  const keys = { signingKeyPath: join(dir, `${name}.key`), pseudonymKeyPath: join(dir, `${name}.pk`), pseudonymKeyId: "pk-1", templateKeyPath: join(dir, `${name}.tk`) };
  writeFileSync(keys.signingKeyPath, signing);
  writeFileSync(keys.pseudonymKeyPath, pseudonym);
  writeFileSync(keys.templateKeyPath, template);
  return keys;
}

const ed25519 = (): string => generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();

describe("box secrets", () => {
  it("reads key files as hex, base64url or raw bytes", () => {
    const raw = randomBytes(32);
    expect(keyBytes(Buffer.from(`${raw.toString("hex")}\n`))).toEqual(raw);
    expect(keyBytes(Buffer.from(raw.toString("base64url")))).toEqual(raw);
    const binary = Buffer.concat([Buffer.from([0, 0xff, 0x10]), randomBytes(29)]);
    expect(keyBytes(binary)).toEqual(binary);
    const secrets = loadBoxSecrets(files(ed25519(), randomBytes(32).toString("hex"), raw.toString("base64url")));
    expect(secrets.signingKey.asymmetricKeyType).toBe("ed25519");
    expect(secrets.templateKey).toEqual(raw);
  });

  it("names the file and the problem for a missing, wrong-type or short key", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const cases: [ReturnType<typeof files>, string][] = [
      [files(rsa, randomBytes(32).toString("hex"), randomBytes(32).toString("hex")), "bad_signing_key"],
      [files("not a key", randomBytes(32).toString("hex"), randomBytes(32).toString("hex")), "bad_signing_key"],
      [files(ed25519(), randomBytes(16).toString("hex"), randomBytes(32).toString("hex")), "bad_pseudonym_key"],
      [files(ed25519(), randomBytes(32).toString("hex"), randomBytes(31).toString("hex")), "bad_template_key"],
      [{ ...files(ed25519(), "", ""), pseudonymKeyPath: join(dir, "absent") }, "unreadable"],
    ];
    for (const [keys, code] of cases) {
      let caught: unknown;
      try {
        loadBoxSecrets(keys);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(BoxSecretsError);
      expect(caught).toMatchObject({ code });
    }
  });
});
