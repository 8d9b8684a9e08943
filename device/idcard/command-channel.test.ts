import { describe, expect, it } from "vitest";
import { CommandChannel } from "./command-channel.js";
import { encodeResponse } from "./reader-responses.js";

/** A channel whose "reader" answers each write with the next scripted bytes (or nothing). */
function scripted(replies: readonly (Uint8Array | null)[], options: ConstructorParameters<typeof CommandChannel>[1] = {}): { channel: CommandChannel; writes: Uint8Array[] } {
  const writes: Uint8Array[] = [];
  let next = 0;
  const channel: CommandChannel = new CommandChannel(async (bytes) => {
    writes.push(bytes);
    const reply = replies[next++];
    if (reply != null) setTimeout(() => channel.receive(reply), 1);
    return Promise.resolve();
  }, { timeoutsMs: { sam_status: 30, read_sam_id: 30, find_card: 30 }, ...options });
  return { channel, writes };
}

function corrupted(frame: Uint8Array): Uint8Array {
  const copy = frame.slice();
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 1;
  return copy;
}

describe("CommandChannel", () => {
  it("returns the reply to the command in flight", async () => {
    const { channel, writes } = scripted([encodeResponse(0x90)]);
    expect(await channel.transact({ kind: "sam_status" })).toMatchObject({ ok: true, attempts: 1, response: { status: { code: "success" } } });
    expect(writes).toHaveLength(1);
  });

  it("retries a corrupt reply at once and a missing one after the timeout", async () => {
    const bad = corrupted(encodeResponse(0x90));
    const { channel, writes } = scripted([bad, null, encodeResponse(0x90)]);
    expect(await channel.transact({ kind: "sam_status" })).toMatchObject({ ok: true, attempts: 3 });
    expect(writes).toHaveLength(3);
  });

  it("gives up with timeout, corrupt_reply or bad_reply after every attempt, naming the command", async () => {
    expect(await scripted([null, null, null]).channel.transact({ kind: "find_card" })).toMatchObject({ ok: false, error: { code: "timeout", context: { command: "find_card", attempts: 3 } } });
    const bad = corrupted(encodeResponse(0x90));
    expect(await scripted([bad, bad, bad]).channel.transact({ kind: "sam_status" })).toMatchObject({ ok: false, error: { code: "corrupt_reply" } });
    const short = encodeResponse(0x90, new Uint8Array(5));
    expect(await scripted([short, short, short]).channel.transact({ kind: "read_sam_id" })).toMatchObject({ ok: false, error: { code: "bad_reply" } });
  });

  it("resends a frame the reader reports damaged (SW3 10) and reports terminal_frame_rejected when it keeps doing so", async () => {
    expect(await scripted([encodeResponse(0x10), encodeResponse(0x90)]).channel.transact({ kind: "sam_status" })).toMatchObject({ ok: true, attempts: 2 });
    expect(await scripted([encodeResponse(0x11), encodeResponse(0x11), encodeResponse(0x11)]).channel.transact({ kind: "sam_status" })).toMatchObject({ ok: false, error: { code: "terminal_frame_rejected", context: { sw3: 0x11 } } });
  });

  it("fails the command in flight at once when the port is lost", async () => {
    const { channel } = scripted([null], { timeoutsMs: { sam_status: 10_000 } });
    const pending = channel.transact({ kind: "sam_status" });
    channel.lost(new Error("EIO"));
    expect(await pending).toMatchObject({ ok: false, error: { code: "port_lost" } });
  });

  it("drops a late reply that arrives between commands instead of taking it for the next one", async () => {
    const writes: Uint8Array[] = [];
    const channel: CommandChannel = new CommandChannel(async (bytes) => {
      writes.push(bytes);
      if (writes.length === 1) setTimeout(() => channel.receive(encodeResponse(0x80)), 40); // find's reply, too late
      if (writes.length === 2) setTimeout(() => channel.receive(encodeResponse(0x90)), 5);
      return Promise.resolve();
    }, { timeoutsMs: { find_card: 20, sam_status: 100 }, retries: 0 });
    expect(await channel.transact({ kind: "find_card" })).toMatchObject({ ok: false, error: { code: "timeout" } });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await channel.transact({ kind: "sam_status" })).toMatchObject({ ok: true, response: { status: { code: "success" } } });
  });
});
