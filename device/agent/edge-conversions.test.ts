import { createHash, generateKeyPairSync, createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EventMessage, eventSigningBytes, personRef, verifyEventSignature, keyIdOf } from "../../protocol/index.js";
import type { ResidentIdCard } from "../idcard/id-card.js";
import { localTimestamp, signedCheckEvent } from "./check-event.js";
import { flowCardOf, maskHolderName } from "./flow-card.js";

const key = createHash("sha256").update("edge conversions").digest();
const card = { cardType: "resident_id", idNumber: "11010519491231002X", name: "欧阳建国" } as unknown as ResidentIdCard;

describe("the agent's edge conversions", () => {
  it("turns a card into a pseudonymous ref and masked forms, and nothing of the number else", () => {
    const flowCard = flowCardOf(card, key, "pk-1");
    expect(flowCard).toEqual({ cardType: "resident_id", ref: personRef("11010519491231002X", key), refKey: "pk-1", masked: "1101**********002X", person: { maskedName: "欧**国", maskedId: "1101**********002X" } });
    expect(JSON.stringify(flowCard)).not.toContain("11010519491231002X");
    expect(["王", "王芳", "张三丰", "𠀋𠀌"].map(maskHolderName)).toEqual(["*", "王*", "张*丰", "𠀋*"]);
  });

  it("writes the clock with the box's own offset", () => {
    const at = Date.UTC(2026, 10, 25, 2, 0, 0, 123);
    expect(localTimestamp(at, 480)).toBe("2026-11-25T10:00:00.123+08:00");
    expect(localTimestamp(at, 0)).toBe("2026-11-25T02:00:00.123Z");
    expect(localTimestamp(at, -330)).toBe("2026-11-24T20:30:00.123-05:30");
  });

  it("makes each draft kind a valid contract event signed with the box key", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const subject = { cardType: "resident_id" as const, ref: personRef("11010519491231002X", key), refKey: "pk-1", masked: "1101**********002X" };
    const verification = { outcome: "card_only" as const, face: null, liveness: null, attestation: null };
    const round = { id: "0190c2a4-5d7e-7000-8000-000000000001", shift: "night" as const, operatorRef: "c".repeat(64), operatorRole: "nurse" as const };
    const drafts = [
      { kind: "dialysis.check_in" as const, subject, verification },
      { kind: "dialysis.check_out" as const, subject, verification, checkInId: "0190c2a4-5d7e-7000-8000-000000000002" },
      { kind: "ward.bedside_check" as const, subject, verification, bed: { ward: "5B", bed: "12" }, round },
    ];
    drafts.forEach((draft, i) => {
      const event = signedCheckEvent(draft, { site: "H1", box: "b1", seq: i + 1, at: Date.now(), utcOffsetMin: 480, clockSync: "ntp", driftMs: 12, station: { id: "chair-1", room: null }, evidence: [], signingKey: privateKey });
      expect(EventMessage.safeParse(event).success).toBe(true);
      expect(event).toMatchObject({ kind: draft.kind, seq: i + 1, clock: { sync: "ntp", driftMs: 12 } });
      const publicKey = createPublicKey(privateKey);
      expect(verifyEventSignature(event, publicKey, keyIdOf(publicKey), eventSigningBytes(event))).toEqual({ ok: true });
    });
  });
});
