import { describe, expect, it } from "vitest";
import { BoxId, maskIdNumber, personRef, publicKeyFromRaw, SiteId, keyIdOf } from "../../protocol/index.js";
import { isValidResidentIdNumber } from "./id-number-check.js";
import { planFleet } from "./fleet-plan.js";

const pseudonymKey = Buffer.alloc(32, 7).toString("hex");
const fleet = planFleet({ seed: 42, sites: 13, stationsPerSite: 4, wardsPerSite: 2, bedsPerWard: 10, pseudonymKey });

describe("planFleet", () => {
  it("names sites by region and boxes by site, all valid topic ids and unique", () => {
    expect(fleet.sites[0]?.site).toBe("H110101-01");
    expect(fleet.sites[12]?.site).toBe("H110101-02");
    expect(fleet.sites[0]?.institutionCode).toMatch(/^H[0-9]{11}$/);
    const boxes = fleet.boxes.map((b) => b.box);
    expect(new Set(boxes).size).toBe(boxes.length);
    expect(boxes).toHaveLength(13 * 6);
    for (const box of fleet.boxes) {
      expect(SiteId.safeParse(box.site).success && BoxId.safeParse(box.box).success).toBe(true);
      expect(box.box.startsWith(`${box.site}-`)).toBe(true);
    }
  });

  it("derives each box's key from the seed, and another seed gives other keys", () => {
    const again = planFleet({ seed: 42, sites: 1, stationsPerSite: 4, wardsPerSite: 2, bedsPerWard: 10, pseudonymKey });
    const other = planFleet({ seed: 43, sites: 1, stationsPerSite: 4, wardsPerSite: 2, bedsPerWard: 10, pseudonymKey });
    expect(again.boxes.map((b) => b.publicKey)).toEqual(fleet.boxes.slice(0, 6).map((b) => b.publicKey));
    expect(other.boxes[0]?.publicKey).not.toBe(fleet.boxes[0]?.publicKey);
    for (const box of fleet.boxes) expect(keyIdOf(publicKeyFromRaw(box.publicKey))).toBe(box.keyId);
  });

  it("gives locations by role: a station for dialysis boxes, a ward with beds for ward boxes", () => {
    for (const box of fleet.boxes) {
      if (box.role === "dialysis_station") expect([box.location, box.beds.length]).toEqual([expect.stringMatching(/^HD-\d\d$/), 0]);
      else expect([box.location, box.beds.length, box.room]).toEqual([expect.stringMatching(/^[A-Z]+-\d+$/), 10, null]);
    }
  });

  it("puts at most one dialysis patient in each station, schedule and shift slot", () => {
    const slots = fleet.dialysisPatients.map((p) => `${p.box}|${p.schedule}|${p.shift}`);
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots.length).toBeGreaterThan(13 * 4 * 6 * 0.8);
    const beds = fleet.inpatients.map((p) => `${p.box}|${p.bed}`);
    expect(new Set(beds).size).toBe(beds.length);
  });

  it("refers to people by the pseudonym key's HMAC and the display mask", () => {
    const people = [...fleet.staff, ...fleet.dialysisPatients, ...fleet.inpatients];
    expect(new Set(people.map((p) => p.idNumber)).size).toBe(people.length);
    for (const person of people) {
      expect(person.ref).toBe(personRef(person.idNumber, Buffer.from(pseudonymKey, "hex")));
      expect(person.masked).toBe(maskIdNumber(person.idNumber));
    }
    for (const person of fleet.staff) expect(isValidResidentIdNumber(person.idNumber)).toBe(true);
    expect(new Set(fleet.staff.map((s) => s.role))).toEqual(new Set(["nurse", "doctor", "inspector"]));
  });

  it("rejects a pseudonym key shorter than 32 bytes", () => {
    expect(() => planFleet({ sites: 1, pseudonymKey: "00ff" })).toThrow(/at least 32 bytes/);
  });
});
