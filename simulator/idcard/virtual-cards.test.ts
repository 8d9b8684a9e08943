import { describe, expect, it } from "vitest";
import { ID_CARD_TYPES, mod11_2CheckCharacter, parseCardText, encodeCardText } from "../../device/idcard/codec.js";
import { mod11_2CheckCharacter as fleetCheck } from "../fleet/id-number-check.js";
import { virtualCardDeck } from "./virtual-cards.js";

describe("virtual card deck", () => {
  it("holds every card type, each parsing back from its text block with a valid number", () => {
    const deck = virtualCardDeck("deck-test", 40);
    expect(new Set(deck.map((c) => c.card.cardType))).toEqual(new Set(ID_CARD_TYPES));
    for (const virtual of deck) {
      const parsed = parseCardText(encodeCardText(virtual.card));
      expect(parsed, JSON.stringify(virtual.card.cardType)).toMatchObject({ ok: true, card: { idNumber: virtual.card.idNumber, warnings: [] } });
      expect(virtual.photo.length).toBe(1024);
      expect([0, 512, 1024]).toContain(virtual.fingerprint.length);
    }
  });

  it("is reproducible from its seed", () => {
    expect(virtualCardDeck("same")).toEqual(virtualCardDeck("same"));
    expect(virtualCardDeck("same")[0]?.card.idNumber).not.toBe(virtualCardDeck("other")[0]?.card.idNumber);
  });

  it("the device's canonical MOD 11-2 agrees with the fleet simulator's older copy on 10,000 numbers", () => {
    let x = 7;
    for (let n = 0; n < 10_000; n++) {
      x = (x * 48271) % 2147483647;
      const first17 = String(x).padStart(10, "0") + String(n).padStart(7, "0");
      expect(mod11_2CheckCharacter(first17)).toBe(fleetCheck(first17));
    }
  });
});
