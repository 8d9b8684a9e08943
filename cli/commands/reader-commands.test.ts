import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { encodeCardText, encodeCommand, encodeResponse, baseMessageData, toHex } from "../../device/idcard/codec.js";
import { maskIdNumber } from "../../protocol/pseudonym.js";
import { virtualReaderMockBinding } from "../../simulator/idcard/mock-binding-transport.js";
import { virtualCardDeck } from "../../simulator/idcard/virtual-cards.js";
import { VirtualReader } from "../../simulator/idcard/virtual-reader.js";
import { readerCommand } from "./reader-commands.js";

const [card] = virtualCardDeck("cli-tests", 4);
let counter = 0;

afterEach(() => {
  process.exitCode = undefined;
});

async function run(args: readonly string[], binding?: ReturnType<typeof virtualReaderMockBinding>["binding"]): Promise<string> {
  let out = "";
  const program = new Command().exitOverride().addCommand(readerCommand({ binding, write: (text) => (out += text), log: () => undefined }));
  await program.parseAsync(["node", "carewitness", "reader", ...args]);
  return out;
}

function virtualPort(): { reader: VirtualReader; path: string; binding: ReturnType<typeof virtualReaderMockBinding>["binding"] } {
  const reader = new VirtualReader();
  const path = `/dev/cli-reader-${process.pid}-${counter++}`;
  return { reader, path, binding: virtualReaderMockBinding(reader, path).binding };
}

describe("carewitness reader", () => {
  it("probe prints the SAM status and id", async () => {
    const { path, binding } = virtualPort();
    const out = JSON.parse(await run(["probe", "--port", path, "--json"], binding)) as Record<string, unknown>;
    expect(out).toMatchObject({ connected: true, samStatus: { code: "success" }, samId: { text: "05.01-20130766-0123456789-0987654321" }, error: null });
    expect(await run(["probe", "--port", path], binding)).toContain("SAM id:     05.01-20130766-0123456789-0987654321");
  });

  it("read prints the card with the ID number masked, and unmasked only with --reveal", async () => {
    if (card === undefined) throw new Error("no card");
    const { reader, path, binding } = virtualPort();
    reader.placeCard(card);
    const masked = await run(["read", "--port", path, "--json", "--timeout", "5"], binding);
    expect(masked).not.toContain(card.card.idNumber);
    expect(JSON.parse(masked)).toMatchObject({ card: { idNumber: maskIdNumber(card.card.idNumber), cardType: card.card.cardType }, photoBytes: 1024 });
    const revealed = await run(["read", "--port", path, "--json", "--reveal", "--timeout", "5"], binding);
    expect(JSON.parse(revealed)).toMatchObject({ card: { idNumber: card.card.idNumber } });
  });

  it("read fails at once, with exit code 1, when the port cannot be opened", async () => {
    const { binding } = virtualPort();
    const started = Date.now();
    const out = JSON.parse(await run(["read", "--port", "/dev/no-such-reader", "--json", "--timeout", "20"], binding)) as Record<string, unknown>;
    expect(out).toMatchObject({ code: "port_open_failed" });
    expect(process.exitCode).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("decode prints every request, response and error of a capture, the card masked unless --reveal", async () => {
    if (card === undefined) throw new Error("no card");
    const dir = mkdtempSync(join(tmpdir(), "reader-decode-"));
    try {
      const file = join(dir, "capture.hex");
      const reply = encodeResponse(0x90, baseMessageData(encodeCardText(card.card), card.photo));
      const bytes = [encodeCommand({ kind: "read_base" }), Uint8Array.of(0x55, 0x55), reply];
      writeFileSync(file, bytes.map((b) => toHex(b)).join("\n"));
      const lines = (await run(["decode", "--hex", file, "--json"])).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.kind)).toEqual(["request", "error", "response"]);
      expect(lines[2]).toMatchObject({ answers: "read_base", status: "success", card: { idNumber: maskIdNumber(card.card.idNumber) }, payload: { photoBytes: 1024 } });
      const human = await run(["decode", "--hex", file]);
      expect(human).not.toContain(card.card.idNumber);
      expect(human).toContain("→ read_base");
      expect(human).toContain("!! garbage");
      expect(await run(["decode", "--hex", file, "--reveal"])).toContain(card.card.idNumber);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
