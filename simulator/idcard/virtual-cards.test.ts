import { describe, expect, it } from "vitest";
import { ID_CARD_TYPES, parseCardText, encodeCardText } from "../../device/idcard/codec.js";
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

});
