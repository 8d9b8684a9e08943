import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Fastify, { type FastifyInstance } from "fastify";
import type { KioskLanguage, KioskScreen, KioskSink } from "../ports.js";
import { redactScreen } from "./kiosk-redaction.js";
import { KioskTouch, LanguageChoice, touchProblems } from "./kiosk-touch.js";

/**
 * The box's kiosk: a small HTTP server on the box's own address serving one static page (plain
 * HTML, CSS and an ES module, no build step), a server-sent-events stream of what the screen shows,
 * and POST endpoints for the touches the flows need. It implements KioskSink: the agent's flows
 * call `show(screen)`, every open page renders it.
 *
 *   GET  /               the page            GET  /api/stream   text/event-stream of KioskState
 *   GET  /api/state      the current state   POST /api/touch    a KioskTouch (202, or 400 with problems)
 *   POST /api/language   {"language":"zh-CN"|"en"} (204)
 */
export interface KioskServerOptions {
  /** Listen address; the box's screen is local, so loopback by default. */
  readonly host?: string;
  /** 0: any free port. */
  readonly port: number;
  /** The box's role: the page offers "start round" on a ward-round box and "enrol" on both. */
  readonly mode: "dialysis_station" | "ward_round";
  /** What the screen says above the prompt, e.g. the station or ward ("透析 3 号位"). */
  readonly label?: string;
  readonly initialScreen?: KioskScreen;
  readonly language?: KioskLanguage;
  /** A validated touch from the page; the agent's `act`. */
  readonly onTouch: (touch: KioskTouch) => void;
  /** Folder of the page's files; default `static/` beside this module (or the source tree's from dist/). */
  readonly staticDir?: string;
}

/** What the page receives: the screen plus what it needs around it. */
export interface KioskState {
  /** Increases with every change, so a page (or a test) can tell a new screen from a repeat. */
  readonly seq: number;
  readonly screen: KioskScreen;
  readonly language: KioskLanguage;
  readonly mode: "dialysis_station" | "ward_round";
  readonly label: string;
  /** The bed picked on this screen, while the round waits for its patient (for "patient absent"). */
  readonly bed: { readonly ward: string; readonly bed: string } | null;
}

export interface RunningKiosk extends KioskSink {
  readonly url: string;
  state(): KioskState;
  close(): Promise<void>;
}

const STATIC_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/kiosk.css": { file: "kiosk.css", type: "text/css; charset=utf-8" },
  "/kiosk.js": { file: "kiosk.js", type: "text/javascript; charset=utf-8" },
  "/kiosk-render.js": { file: "kiosk-render.js", type: "text/javascript; charset=utf-8" },
  "/strings.json": { file: "strings.json", type: "application/json; charset=utf-8" },
};

/** No inline script or style and nothing from elsewhere. */
const KIOSK_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function defaultKioskStaticDir(): string {
  const beside = fileURLToPath(new URL("./static/", import.meta.url));
  if (existsSync(join(beside, "index.html"))) return beside;
  // tsc does not copy non-TypeScript files: from dist/device/kiosk/ the source folder is three up.
  return fileURLToPath(new URL("../../../device/kiosk/static/", import.meta.url));
}

export async function startKioskServer(options: KioskServerOptions): Promise<RunningKiosk> {
  const dir = options.staticDir ?? defaultKioskStaticDir();
  const files = new Map(Object.entries(STATIC_FILES).map(([route, { file, type }]) => [route, { body: readFileSync(join(dir, file)), type }]));
  const streams = new Set<NodeJS.WritableStream & { end(): void }>();
  let state: KioskState = {
    seq: 0,
    screen: redactScreen(options.initialScreen ?? { screen: "idle", mode: options.mode }),
    language: options.language ?? "zh-CN",
    mode: options.mode,
    label: options.label ?? "",
    bed: null,
  };

  const publish = (next: Omit<KioskState, "seq">): void => {
    state = { ...next, seq: state.seq + 1 };
    const frame = `event: state\ndata: ${JSON.stringify(state)}\n\n`;
    for (const stream of streams) stream.write(frame);
  };

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 4096 });
  app.addHook("onSend", async (_request, reply, payload) => {
    reply.header("content-security-policy", KIOSK_CSP).header("x-content-type-options", "nosniff").header("referrer-policy", "no-referrer").header("cache-control", "no-store");
    return payload;
  });
  for (const [route, file] of files) app.get(route, (_request, reply) => reply.type(file.type).send(file.body));
  // Browsers ask for it on their own; an empty answer keeps the console clean.
  app.get("/favicon.ico", (_request, reply) => reply.code(204).send());
  app.get("/api/state", () => state);
  app.get("/api/stream", (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-content-type-options": "nosniff" });
    // Reconnect quickly: the page is the box's only display.
    raw.write(`retry: 1000\nevent: state\ndata: ${JSON.stringify(state)}\n\n`);
    streams.add(raw);
    const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), 15_000);
    request.raw.on("close", () => {
      clearInterval(heartbeat);
      streams.delete(raw);
    });
  });
  app.post("/api/touch", (request, reply) => {
    const touch = KioskTouch.safeParse(request.body);
    if (!touch.success) return reply.code(400).send({ error: { code: "invalid_touch", problems: touchProblems(touch.error) } });
    if (touch.data.action === "pick_bed") publish({ ...state, bed: { ward: touch.data.ward, bed: touch.data.bed } });
    options.onTouch(touch.data);
    return reply.code(202).send({ accepted: true });
  });
  app.post("/api/language", (request, reply) => {
    const choice = LanguageChoice.safeParse(request.body);
    if (!choice.success) return reply.code(400).send({ error: { code: "invalid_language", problems: touchProblems(choice.error) } });
    publish({ ...state, language: choice.data.language });
    return reply.code(204).send();
  });

  const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port });
  return {
    url: `${address}/`,
    show(screen: KioskScreen): void {
      // The picked bed belongs to the round's "waiting for the patient" step only.
      const keepBed = screen.screen === "place_card" || screen.screen === "look_at_camera" || screen.screen === "coaching" || screen.screen === "challenge" || screen.screen === "nurse_card" || screen.screen === "attestation";
      publish({ ...state, screen: redactScreen(screen), bed: keepBed ? state.bed : null });
    },
    state: () => state,
    async close(): Promise<void> {
      for (const stream of streams) stream.end();
      streams.clear();
      await app.close();
    },
  };
}
