import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadOrCreateEvidenceKey, signBundle, verifyEvidenceBundle } from "./evidence-bundle.js";

describe("evidence bundle signatures", () => {
  it("the gateway's key is created once, private to its owner, and the same after a restart", () => {
    const dir = mkdtempSync(join(tmpdir(), "cw-evidence-key-"));
    try {
      const path = join(dir, "keys", "evidence-key.pem");
      const first = loadOrCreateEvidenceKey(path);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(loadOrCreateEvidenceKey(path)).toMatchObject({ publicKey: first.publicKey, keyId: first.keyId });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("verifies over the canonical bundle (key order does not matter) and fails on any change", () => {
    const dir = mkdtempSync(join(tmpdir(), "cw-evidence-key-"));
    try {
      const key = loadOrCreateEvidenceKey(join(dir, "k.pem"));
      const signed = signBundle({ alert: { id: "x", severity: "critical" }, events: [{ id: "e1" }] }, key);
      const reordered = { signature: signed.signature, bundle: { events: [{ id: "e1" }], alert: { severity: "critical", id: "x" } } };
      expect(verifyEvidenceBundle(reordered, key.publicKey)).toEqual({ ok: true });
      expect(verifyEvidenceBundle({ ...signed, bundle: { ...signed.bundle, events: [] } })).toMatchObject({ ok: false, reason: expect.stringContaining("was changed") as unknown });
      expect(verifyEvidenceBundle({ ...signed, signature: { ...signed.signature, keyId: "0".repeat(16) } })).toMatchObject({ ok: false, reason: "keyId does not name publicKey" });
      expect(verifyEvidenceBundle({ bundle: signed.bundle })).toMatchObject({ ok: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
