import mqtt, { type MqttClient } from "mqtt";
import { AckMessage, topicFilter } from "../../protocol/index.js";
import type { BenchMessage } from "./bench-events.js";

/**
 * Publishes pre-signed events at full speed, keeping at most `window` events unacknowledged by the
 * gateway (a broker queues a bounded number of messages per session: Mosquitto's default
 * max_queued_messages is 1000, and beyond it QoS 1 messages are dropped), and times each event from
 * publish to the gateway's ack.
 */
export interface LoadResult {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly notAcked: number;
}

export async function runIngestLoad(options: {
  brokerUrl: string;
  site: string;
  messages: readonly BenchMessage[];
  connections: number;
  window: number;
  timeoutMs: number;
}): Promise<LoadResult> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const acker: MqttClient = await mqtt.connectAsync(options.brokerUrl, { clientId: `bench-acks-${process.pid}-${Date.now()}`, clean: true });
  const publishers = await Promise.all(
    Array.from({ length: options.connections }, (_, i) =>
      mqtt.connectAsync(options.brokerUrl, { clientId: `bench-pub-${i}-${process.pid}-${Date.now()}`, clean: true }),
    ),
  );
  let outstanding = 0;
  let wake: (() => void) | null = null;
  let lastAckAt = 0;
  acker.on("message", (_topic, payload) => {
    const now = performance.now();
    for (const ack of AckMessage.parse(JSON.parse(payload.toString())).acks) {
      const sent = sentAt.get(ack.id);
      if (sent === undefined) continue;
      sentAt.delete(ack.id);
      latencies.push(now - sent);
      outstanding--;
      lastAckAt = now;
    }
    wake?.();
  });
  await acker.subscribeAsync(topicFilter("acks", { site: options.site }), { qos: 1 });

  const started = performance.now();
  const deadline = Date.now() + options.timeoutMs;
  let i = 0;
  for (const message of options.messages) {
    while (outstanding >= options.window && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
      wake = null;
    }
    const publisher = publishers[i++ % publishers.length];
    if (publisher === undefined) throw new Error("no publisher");
    sentAt.set(message.id, performance.now());
    outstanding++;
    publisher.publish(message.topic, message.payload, { qos: 1 });
  }
  while (sentAt.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

  await Promise.all([acker, ...publishers].map((c) => c.endAsync()));
  const seconds = ((lastAckAt || performance.now()) - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    events: latencies.length,
    seconds,
    eventsPerSecond: latencies.length / seconds,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
    notAcked: sentAt.size,
  };
}
