import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCarewitness } from "../cli/cli-process.js";
import { RESTART_EXIT_CODE } from "../cli/commands/device-run-command.js";
import { boxTopic, PROTOCOL_VERSION } from "../protocol/index.js";
import { startGateway, type RunningGateway } from "../gateway/gateway-service.js";
import { openPtyPair, type PtyPair } from "../simulator/idcard/pty-pair.js";
import { attachVirtualReaderToPort, type ReaderPortTransport } from "../simulator/idcard/serial-port-transport.js";
import { VirtualReader } from "../simulator/idcard/virtual-reader.js";
import { cardAt, prepareBox, refOf, until } from "./fixtures/agent-rig.js";

/**
 * `carewitness device run --config FILE` as a box runs it: the reader opened through serialport's
 * platform binding on a pseudo-terminal (socat) with the virtual reader on the other end, the face
 * models loaded from models/build, the outbox and MQTT session to a gateway.
 */
const CLI = fileURLToPath(new URL("../cli/carewitness.ts", import.meta.url));
let dir: string;
let gateway: RunningGateway;
let pair: PtyPair | undefined;
let transport: ReaderPortTransport | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cw-agent-cli-"));
  gateway = await startGateway({ store: { kind: "sqlite", path: join(dir, "gateway.db") }, mqtt: { url: null, embeddedPort: 0 }, http: { port: 0 }, ingest: { verifyWorkers: 0 } });
});

afterAll(async () => {
  await transport?.close();
  await pair?.close();
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("carewitness device run", () => {
  it("refuses to start without a valid configuration, saying why", async () => {
    const result = await runCarewitness(["device", "run", "--config", join(dir, "absent.json")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing");
  });

  it("runs the agent on a serial reader: a card becomes an event at the gateway, and SIGTERM stops it cleanly", { timeout: 90_000 }, async () => {
    pair = await openPtyPair();
    const reader = new VirtualReader();
    transport = attachVirtualReaderToPort(reader, { path: pair.readerPath });
    await transport.ready;
    const box = await prepareBox(join(dir, "box"), gateway.store, { box: "cli-chair", site: "H-CLI", mqttUrl: gateway.mqttUrl, readerPort: pair.hostPath });
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "device", "run", "--config", box.configPath, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    const lines: { event: string; [key: string]: unknown }[] = [];
    createInterface({ input: child.stdout }).on("line", (line) => lines.push(JSON.parse(line) as { event: string }));
    const kiosk: { url: string | null } = { url: null };
    createInterface({ input: child.stderr }).on("line", (line) => (kiosk.url ??= /kiosk page at (\S+)/.exec(line)?.[1] ?? null));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await until(() => lines.some((l) => l.event === "started"), "started", 60_000);
    const card = cardAt(box, 0);
    reader.placeCard(card);
    await until(() => lines.some((l) => l.event === "done_shown"), "a check shown done", 20_000);
    // The box serves its touch screen's page, and the page's state follows the agent's screens.
    const kioskUrl = kiosk.url ?? "no kiosk URL printed";
    const page = await (await fetch(new URL("/", kioskUrl))).text();
    expect(page).toContain('lang="zh-CN"');
    const state = (await (await fetch(new URL("/api/state", kioskUrl))).json()) as { screen: { screen: string }; mode: string };
    expect(state.mode).toBe("dialysis_station");
    expect(state.screen.screen).toBe("result");
    reader.removeCard();
    await until(async () => (await gateway.store.countEvents({ box: "cli-chair" })) === 1, "stored");
    const stored = await gateway.store.queryEvents({ box: "cli-chair" }, { limit: 1 });
    expect(stored.items[0]).toMatchObject({ kind: "dialysis.check_in", subjectRef: refOf(card), outcome: "card_only", seq: 1 });
    expect(JSON.stringify(lines)).not.toContain(card.card.idNumber);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(lines.at(-1)).toMatchObject({ event: "stopped" });
    expect((await gateway.store.getDevice("cli-chair"))?.state).toBe("offline");

    // Started again, the gateway's restart_agent is answered, then the agent stops with exit 75 for its service manager.
    const again = spawn(process.execPath, ["--import", "tsx", CLI, "device", "run", "--config", box.configPath, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    const againLines: { event: string; [key: string]: unknown }[] = [];
    createInterface({ input: again.stdout }).on("line", (line) => againLines.push(JSON.parse(line) as { event: string }));
    const againExited = new Promise<number | null>((resolve) => again.once("exit", (code) => resolve(code)));
    await until(() => againLines.some((l) => l.event === "started"), "started again", 60_000);
    await until(async () => (await gateway.store.getDevice("cli-chair"))?.state === "online", "online again", 20_000);
    const client = await mqtt.connectAsync(gateway.mqttUrl, { protocolVersion: 4 });
    const answers: { status: string }[] = [];
    client.on("message", (_topic, payload) => answers.push(JSON.parse(payload.toString()) as { status: string }));
    await client.subscribeAsync(boxTopic("responses", { site: "H-CLI", box: "cli-chair" }), { qos: 1 });
    const now = Date.now();
    await client.publishAsync(
      boxTopic("commands", { site: "H-CLI", box: "cli-chair" }),
      JSON.stringify({ v: PROTOCOL_VERSION, id: "0193b6a0-0000-7000-8000-0000000000c1", issuedAt: new Date(now).toISOString(), expiresAt: new Date(now + 60_000).toISOString(), command: "restart_agent", args: {} }),
      { qos: 1 },
    );
    expect(await againExited).toBe(RESTART_EXIT_CODE);
    expect(answers).toMatchObject([{ status: "ok" }]);
    expect(againLines.at(-1)).toMatchObject({ event: "stopped" });
    await client.endAsync();
  });
});
