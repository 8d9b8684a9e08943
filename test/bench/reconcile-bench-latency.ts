import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { boxTopic } from "../../protocol/index.js";
import { newApiToken } from "../../gateway/http/api-auth.js";
import { openGatewayStore } from "../../gateway/open-store.js";
import { spawnGateway } from "../fixtures/gateway-process.js";
import { payloadOf, registrationOf, signedCheckIn, testBox, type TestBox } from "../fixtures/signed-events.js";

/**
 * Time from a face-mismatch event's publish to its alert reaching a supervisor, while N boxes publish
 * verified check-ins in the background. The gateway runs in its own process (embedded broker,
 * SQLite). Alerts are read from the MQTT alert topic (published after the alert is stored) and, when the
 * gateway serves it, from the SSE stream (GET /api/v1/alerts/stream), each channel timed on its own.
 */
export interface ChannelLatency {
  samples: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface AlertLatency {
  boxes: number;
  seconds: number;
  backgroundPerSecond: number;
  published: number;
  /** Read from GET /api/v1/alerts/stream; null when the gateway serves no stream. */
  sse: ChannelLatency | null;
  /** Read from cw/v1/{site}/alerts, which the gateway publishes to after storing the alert. */
  mqtt: ChannelLatency;
  gatewayPeakRssMb: number;
}

export interface LatencyOptions {
  readonly dir: string;
  readonly boxes: number;
  readonly seconds: number;
  readonly backgroundPerSecond?: number;
  readonly probeEveryMs?: number;
  readonly log: (line: string) => void;
}

const SITES = 10;

function eventIdsOf(body: unknown): string[] {
  if (body === null || typeof body !== "object") return [];
  const record = body as { eventIds?: unknown; evidence?: { eventIds?: unknown }; alert?: unknown };
  const direct = Array.isArray(record.eventIds) ? record.eventIds : Array.isArray(record.evidence?.eventIds) ? record.evidence.eventIds : [];
  return [...direct.filter((x): x is string => typeof x === "string"), ...eventIdsOf(record.alert)];
}

async function followSse(url: string, token: string, onAlert: (body: unknown) => void, signal: AbortSignal): Promise<boolean> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" }, signal });
  if (!response.ok || response.body === null || !(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
    await response.body?.cancel();
    return false;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value.replace(/\r\n?/g, "\n");
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split("\n");
          if (!lines.some((l) => l === "event: alert" || l === "event:alert")) continue;
          const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
          try {
            onAlert(JSON.parse(data));
          } catch {
            // not JSON: not an alert frame we can read
          }
        }
      }
    } catch {
      // aborted at the end of the run
    }
  })();
  return true;
}

export async function measureAlertLatency(options: LatencyOptions): Promise<AlertLatency> {
  const { dir, boxes: boxCount, seconds, log } = options;
  const backgroundPerSecond = options.backgroundPerSecond ?? Math.min(200, boxCount);
  const probeEveryMs = options.probeEveryMs ?? 200;
  const path = join(dir, "latency.db");
  const fleet: TestBox[] = Array.from({ length: boxCount }, (_, i) => testBox(`lat-${String(i).padStart(4, "0")}`, `H-LAT-${i % SITES}`));
  const setup = await openGatewayStore({ kind: "sqlite", path });
  await setup.migrate();
  for (const box of fleet) await setup.registerDevice(registrationOf(box));
  const token = newApiToken();
  await setup.createApiToken({ name: "bench supervisor", role: "supervisor", site: null, tokenHash: token.tokenHash, createdAt: Date.now() });
  await setup.close();

  log(`[latency] starting a gateway and connecting ${boxCount} boxes`);
  const gateway = await spawnGateway(["--embedded-port", "0", "--sqlite", path, "--http-port", "0"]);
  const clients: MqttClient[] = [];
  const abort = new AbortController();
  try {
    for (let i = 0; i < fleet.length; i += 50) {
      const batch = fleet.slice(i, i + 50);
      clients.push(...(await Promise.all(batch.map((box) => mqtt.connectAsync(gateway.mqtt, { clientId: box.box, protocolVersion: 4, reconnectPeriod: 0 })))));
    }
    const sent = new Map<string, number>();
    const arrivals = { sse: new Map<string, number>(), mqtt: new Map<string, number>() };
    const onAlert = (channel: "sse" | "mqtt", body: unknown): void => {
      const now = performance.now();
      for (const id of eventIdsOf(body)) {
        const at = sent.get(id);
        if (at !== undefined && !arrivals[channel].has(id)) arrivals[channel].set(id, now - at);
      }
    };
    const sse = await followSse(`${gateway.http}/api/v1/alerts/stream`, token.token, (body) => onAlert("sse", body), abort.signal).catch(() => false);
    const listener = await mqtt.connectAsync(gateway.mqtt, { clientId: "bench-alert-listener", protocolVersion: 4 });
    listener.on("message", (_topic, payload) => {
      try {
        onAlert("mqtt", JSON.parse(payload.toString("utf8")));
      } catch {
        // not JSON: not an alert
      }
    });
    await listener.subscribeAsync("cw/v1/+/alerts", { qos: 1 });
    log(`[latency] reading alerts from the MQTT alert topic${sse ? " and the SSE stream" : " (no SSE route in this gateway)"}; ${backgroundPerSecond} background events/s for ${seconds} s`);

    const seq = new Array<number>(fleet.length).fill(0);
    let next = 0;
    let published = 0;
    const publish = (outcome: "verified" | "face_mismatch"): void => {
      const index = next++ % fleet.length;
      const box = fleet[index];
      const client = clients[index];
      if (box === undefined || client === undefined) return;
      seq[index] = (seq[index] ?? 0) + 1;
      const event = signedCheckIn(box, seq[index] ?? 1, { outcome, at: new Date() });
      if (outcome === "face_mismatch") {
        sent.set(event.id, performance.now());
        published += 1;
      }
      client.publish(boxTopic("events", box), payloadOf(event), { qos: 1 });
    };
    const tickMs = 50;
    const perTick = (backgroundPerSecond * tickMs) / 1000;
    let owed = 0;
    const background = setInterval(() => {
      owed += perTick;
      for (; owed >= 1; owed -= 1) publish("verified");
    }, tickMs);
    const probe = setInterval(() => publish("face_mismatch"), probeEveryMs);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    clearInterval(background);
    clearInterval(probe);
    const deadline = Date.now() + 10_000;
    const complete = (): boolean => arrivals.mqtt.size >= sent.size && (!sse || arrivals.sse.size >= sent.size);
    while (!complete() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    listener.end(true);
    const summary = (times: Map<string, number>): ChannelLatency => {
      const sorted = [...times.values()].sort((a, b) => a - b);
      const pick = (p: number): number => Number((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN).toFixed(1));
      return { samples: sorted.length, lost: sent.size - sorted.length, p50Ms: pick(50), p99Ms: pick(99), maxMs: Number((sorted[sorted.length - 1] ?? NaN).toFixed(1)) };
    };
    return {
      boxes: boxCount,
      seconds,
      backgroundPerSecond,
      published,
      sse: sse ? summary(arrivals.sse) : null,
      mqtt: summary(arrivals.mqtt),
      gatewayPeakRssMb: Math.round(gateway.peakRssMb()),
    };
  } finally {
    abort.abort();
    for (const client of clients) client.end(true);
    await gateway.kill("SIGTERM");
  }
}
