import { describe, expect, it } from "vitest";
import { decodeResponseBody, decodeStream, encodeCommand, parseCardText, type ReaderCommand } from "../../device/idcard/codec.js";
import { virtualCardDeck } from "./virtual-cards.js";
import { VirtualReader } from "./virtual-reader.js";

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.split(" "), (b) => parseInt(b, 16));
}

/** Send one request, collect what the reader answers synchronously. */
function ask(reader: VirtualReader, request: ReaderCommand | Uint8Array): Uint8Array {
  const out: number[] = [];
  reader.connect((bytes) => out.push(...bytes));
  reader.receive(request instanceof Uint8Array ? request : encodeCommand(request));
  return Uint8Array.from(out);
}

function answer(reader: VirtualReader, command: ReaderCommand): ReturnType<typeof decodeResponseBody> {
  const items = decodeStream(ask(reader, command));
  const [item] = items;
  if (items.length !== 1 || item?.kind !== "frame") throw new Error(`expected one frame, got ${JSON.stringify(items)}`);
  return decodeResponseBody(item.frame.body, command.kind);
}

const [card] = virtualCardDeck("reader-tests", 4);

describe("VirtualReader", () => {
  it("answers find card with the reference's exact bytes, with and without a card", () => {
    const reader = new VirtualReader();
    expect(ask(reader, { kind: "find_card" })).toEqual(hex("aa aa aa 96 69 00 04 00 00 80 84"));
    if (card === undefined) throw new Error("no card");
    reader.placeCard(card);
    expect(ask(reader, { kind: "find_card" })).toEqual(hex("aa aa aa 96 69 00 08 00 00 9f 00 00 00 00 97"));
  });

  it("serves find → select → read with the card's text block, photo and fingerprint", () => {
    if (card === undefined) throw new Error("no card");
    const reader = new VirtualReader();
    reader.placeCard(card);
    expect(answer(reader, { kind: "find_card" })).toMatchObject({ ok: true, response: { status: { code: "card_found" } } });
    expect(answer(reader, { kind: "select_card" })).toMatchObject({ ok: true, response: { payload: { kind: "card_selected" } } });
    const read = answer(reader, { kind: "read_base_with_fingerprint" });
    if (!read.ok || read.response.payload.kind !== "base_message") throw new Error("no base message");
    expect(parseCardText(read.response.payload.text)).toMatchObject({ ok: true, card: { idNumber: card.card.idNumber } });
    expect(read.response.payload.photo).toEqual(card.photo);
    expect(read.response.payload.fingerprint).toEqual(card.fingerprint);
    expect(answer(reader, { kind: "read_sam_id" })).toMatchObject({ ok: true, response: { payload: { kind: "sam_id", samId: { text: "05.01-20130766-0123456789-0987654321" } } } });
  });

  it("answers read without select with 41, select without a card with 81, and a missing newest address with 91", () => {
    if (card === undefined) throw new Error("no card");
    const reader = new VirtualReader();
    expect(answer(reader, { kind: "select_card" })).toMatchObject({ ok: true, response: { status: { sw3: 0x81 } } });
    reader.placeCard({ ...card, newestAddress: null });
    expect(answer(reader, { kind: "read_base" })).toMatchObject({ ok: true, response: { status: { sw3: 0x41 } } });
    expect(answer(reader, { kind: "read_newest_address" })).toMatchObject({ ok: true, response: { status: { sw3: 0x91 } } });
    reader.placeCard({ ...card, newestAddress: "上海市黄浦区人民路1号" });
    expect(answer(reader, { kind: "read_newest_address" })).toMatchObject({ ok: true, response: { payload: { address: "上海市黄浦区人民路1号" } } });
  });

  it("answers a damaged request with 10, an unknown command with 21", () => {
    const reader = new VirtualReader();
    expect(ask(reader, hex("aa aa aa 96 69 00 03 20 01 21"))).toEqual(hex("aa aa aa 96 69 00 04 00 00 10 14"));
    expect(ask(reader, hex("aa aa aa 96 69 00 03 01 ff fd"))).toEqual(hex("aa aa aa 96 69 00 04 00 00 21 25"));
    expect(reader.log.map((e) => e.request.kind)).toEqual(["invalid"]);
  });

  it("answers 60 until reset after a self-test failure, and 66 always when not authorised", () => {
    const reader = new VirtualReader();
    reader.setSam("self_test_failed");
    expect(answer(reader, { kind: "sam_status" })).toMatchObject({ ok: true, response: { status: { code: "sam_self_test_failed" } } });
    expect(answer(reader, { kind: "reset_sam" })).toMatchObject({ ok: true, response: { status: { code: "success" } } });
    expect(answer(reader, { kind: "sam_status" })).toMatchObject({ ok: true, response: { status: { code: "success" } } });
    reader.setSam("not_authorised");
    expect(answer(reader, { kind: "reset_sam" })).toMatchObject({ ok: true, response: { status: { code: "sam_not_authorised" } } });
  });

  it("injects faults on the next matching request only", () => {
    const reader = new VirtualReader();
    reader.injectFault({ kind: "corrupt_checksum", on: "sam_status" });
    expect(decodeStream(ask(reader, { kind: "find_card" }))[0]).toMatchObject({ kind: "frame" });
    expect(decodeStream(ask(reader, { kind: "sam_status" }))[0]).toMatchObject({ kind: "error", error: { code: "bad_checksum" } });
    expect(decodeStream(ask(reader, { kind: "sam_status" }))[0]).toMatchObject({ kind: "frame" });
    reader.injectFault({ kind: "truncate" });
    expect(decodeStream(ask(reader, { kind: "sam_status" })).map((i) => (i.kind === "error" ? i.error.code : "frame"))).toEqual(["truncated", "garbage"]);
    reader.injectFault({ kind: "no_response" });
    expect(ask(reader, { kind: "sam_status" })).toEqual(new Uint8Array(0));
    reader.injectFault({ kind: "noise", bytes: hex("01 02 03") });
    expect(decodeStream(ask(reader, { kind: "sam_status" })).map((i) => i.kind)).toEqual(["error", "frame"]);
  });
});
