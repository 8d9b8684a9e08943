import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { GatewayStore } from "./gateway-store.js";
import type { ProvisioningTokenRecord, TemplateRecord } from "./provisioning-records.js";

/**
 * The provisioning and template-sync part of the GatewayStore contract (store-contract.ts runs it for
 * every implementation): one-time tokens claimed once, an institution's template key created once,
 * and templates numbered per institution in commit order.
 */
export interface ProvisioningContractSubject {
  readonly store: () => GatewayStore;
  /** A second store over the same database, when the implementation has one. */
  readonly openPeer: (() => Promise<GatewayStore>) | undefined;
}

const HOUR = 3_600_000;

function token(fields: Partial<ProvisioningTokenRecord> = {}): ProvisioningTokenRecord {
  return {
    tokenHash: "1".repeat(64),
    box: "dialysis-07",
    site: "site-a",
    role: "dialysis_station",
    location: "station-7",
    mqttUrl: "mqtts://gw.example:8883",
    replaceKey: false,
    createdBy: "ops",
    createdAt: 1000,
    expiresAt: 1000 + HOUR,
    ...fields,
  };
}

function template(n: number, site = "site-a"): TemplateRecord {
  const body = JSON.stringify({ n, site, sealed: `ciphertext-${n}` });
  return {
    site,
    personRef: createHash("sha256").update(`person-${n}`).digest("hex"),
    model: "dlib-resnet-v1@2",
    keyId: "tk-0001",
    sourceBox: "dialysis-01",
    enrolledAt: 5000 + n,
    receivedAt: 6000 + n,
    bodyHash: createHash("sha256").update(body).digest("hex"),
    body,
  };
}

export function describeProvisioningStoreContract(subject: ProvisioningContractSubject): void {
  describe("provisioning tokens", () => {
    it("a token is claimed by the first key, again by that key, and refused to another key", async () => {
      const store = subject.store();
      await store.createProvisioningToken(token());
      const first = await store.claimProvisioningToken("1".repeat(64), "key-a", 2000);
      expect(first).toStrictEqual({ result: "claimed", token: { ...token(), usedAt: 2000, usedByKey: "key-a" } });
      expect(await store.claimProvisioningToken("1".repeat(64), "key-a", 3000)).toMatchObject({ result: "claimed", token: { usedAt: 2000 } });
      expect(await store.claimProvisioningToken("1".repeat(64), "key-b", 3000)).toMatchObject({ result: "used", token: { usedByKey: "key-a" } });
    });

    it("an expired token is refused as expired and an unknown one as unknown", async () => {
      const store = subject.store();
      await store.createProvisioningToken(token({ tokenHash: "2".repeat(64), replaceKey: true, location: null }));
      expect(await store.claimProvisioningToken("2".repeat(64), "key-a", 1000 + HOUR)).toMatchObject({
        result: "expired",
        token: { usedAt: null, replaceKey: true, location: null },
      });
      expect(await store.claimProvisioningToken("3".repeat(64), "key-a", 1000)).toStrictEqual({ result: "unknown" });
      await expect(store.createProvisioningToken(token({ tokenHash: "2".repeat(64) }))).rejects.toThrow();
    });
  });

  describe("institution template keys", () => {
    it("the first key of an institution is kept; later candidates get the stored one", async () => {
      const store = subject.store();
      const first = { site: "site-a", keyId: "tk-a", wrappedKey: Buffer.from([1, 2, 3]), createdAt: 10 };
      expect(await store.siteTemplateKey(first)).toStrictEqual(first);
      expect(await store.siteTemplateKey({ ...first, keyId: "tk-b", wrappedKey: Buffer.from([9]) })).toStrictEqual(first);
      const other = { ...first, site: "site-b", keyId: "tk-c" };
      expect(await store.siteTemplateKey(other)).toStrictEqual(other);
    });
  });

  describe("template sync", () => {
    it("numbers templates per institution, keeps the same upload once, and lists after a cursor", async () => {
      const store = subject.store();
      expect(await store.storeTemplate(template(1))).toStrictEqual({ result: "stored", seq: 1 });
      expect(await store.storeTemplate(template(2))).toStrictEqual({ result: "stored", seq: 2 });
      expect(await store.storeTemplate(template(1))).toStrictEqual({ result: "duplicate", seq: 1 });
      expect(await store.storeTemplate(template(3, "site-b"))).toStrictEqual({ result: "stored", seq: 1 });
      expect(await store.storeTemplate(template(4))).toStrictEqual({ result: "stored", seq: 3 });
      expect(await store.templatesAfter("site-a", 0, 100)).toStrictEqual([
        { ...template(1), seq: 1 },
        { ...template(2), seq: 2 },
        { ...template(4), seq: 3 },
      ]);
      expect((await store.templatesAfter("site-a", 1, 1)).map((t) => t.seq)).toEqual([2]);
      expect((await store.templatesAfter("site-b", 0, 100)).map((t) => t.personRef)).toEqual([template(3, "site-b").personRef]);
      expect(await store.templatesAfter("site-c", 0, 100)).toEqual([]);
    });
  });

  // Only for implementations with a second connection to the same database (not SQLite :memory:),
  // as the main contract's two-gateway cases.
  if (subject.openPeer !== undefined) describe("provisioning with two gateways on one database", () => {
    const openPeer = async (): Promise<GatewayStore> => {
      if (subject.openPeer === undefined) throw new Error("no peer");
      return subject.openPeer();
    };

    it("two keys racing for one token: exactly one claims it", async () => {
      const store = subject.store();
      const peer = await openPeer();
      await peer.migrate();
      for (let round = 0; round < 10; round++) {
        const hash = round.toString(16).padStart(64, "a");
        await store.createProvisioningToken(token({ tokenHash: hash }));
        const [a, b] = await Promise.all([store.claimProvisioningToken(hash, "key-a", 2000), peer.claimProvisioningToken(hash, "key-b", 2000)]);
        expect([a.result, b.result].sort()).toEqual(["claimed", "used"]);
      }
    });

    it("uploads racing from two gateways get distinct, gap-free sequence numbers", async () => {
      const store = subject.store();
      const peer = await openPeer();
      await peer.migrate();
      const outcomes = await Promise.all(Array.from({ length: 30 }, (_, n) => (n % 2 === 0 ? store : peer).storeTemplate(template(n))));
      expect(outcomes.map((o) => o.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, n) => n + 1));
      expect((await store.templatesAfter("site-a", 0, 100)).map((t) => t.seq)).toEqual(Array.from({ length: 30 }, (_, n) => n + 1));
    });
  });
}
