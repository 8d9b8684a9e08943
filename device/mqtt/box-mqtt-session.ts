import mqtt, { type MqttClient } from "mqtt";
import { boxTopic, PROTOCOL_VERSION, type CommandResponseMessage, type StatusMessage } from "../../protocol/index.js";
import type { EventPublisher } from "../ports.js";

/**
 * The box's MQTT session: persistent (clean start off) so acks queued while it was away reach it,
 * with an `offline`/`last_will` status as its will (MQTT-3.1.2-8), `online` retained on every
 * (re)connection, and its acks topic subscribed.
 */
export interface BoxMqttOptions {
  readonly url: string;
  readonly site: string;
  readonly box: string;
  readonly protocolVersion?: 4 | 5;
  readonly agentVersion: string;
  readonly health: () => StatusMessage["health"];
  readonly onAck: (payload: Buffer) => void;
  /** The gateway's retained configuration push; subscribed only when given. */
  readonly onConfig?: (payload: Buffer) => void;
  /** The gateway's commands (cw/v1/{site}/{box}/commands); subscribed only when given. */
  readonly onCommand?: (payload: Buffer) => void;
  readonly publishTimeoutMs?: number;
  /**
   * false: return at once and keep connecting in the background (a box must start and record checks
   * while its broker is unreachable); true (default): wait for the first connection.
   */
  readonly waitForConnect?: boolean;
}

export interface BoxMqttSession extends EventPublisher {
  readonly client: MqttClient;
  publishStatus(state: StatusMessage["state"], reason: StatusMessage["reason"]): Promise<void>;
  /** Answers a command on the responses topic (QoS 1); refused at once while offline. */
  publishResponse(response: CommandResponseMessage): Promise<void>;
  /** Orderly shutdown: `offline`/`shutdown` retained, then disconnect (no will). */
  close(): Promise<void>;
}

function status(options: BoxMqttOptions, state: StatusMessage["state"], reason: StatusMessage["reason"], health: StatusMessage["health"]): Buffer {
  const message: StatusMessage = {
    v: PROTOCOL_VERSION,
    site: options.site,
    box: options.box,
    state,
    reason,
    at: new Date().toISOString(),
    agentVersion: options.agentVersion,
    health,
  };
  return Buffer.from(JSON.stringify(message));
}

export async function connectBoxSession(options: BoxMqttOptions): Promise<BoxMqttSession> {
  const address = { site: options.site, box: options.box };
  const version = options.protocolVersion ?? 5;
  const client = mqtt.connect(options.url, {
    clientId: `box-${options.box}`,
    protocolVersion: version,
    clean: false,
    reconnectPeriod: 2000,
    ...(version === 5 ? { properties: { sessionExpiryInterval: 7 * 24 * 3600 } } : {}),
    will: { topic: boxTopic("status", address), payload: status(options, "offline", "last_will", null), qos: 1, retain: true },
  });
  const configTopic = boxTopic("config", address);
  const commandsTopic = boxTopic("commands", address);
  client.on("message", (topic, payload) => {
    if (topic === boxTopic("acks", address)) options.onAck(payload);
    else if (topic === configTopic) options.onConfig?.(payload);
    else if (topic === commandsTopic) options.onCommand?.(payload);
  });
  const publishStatus = async (state: StatusMessage["state"], reason: StatusMessage["reason"]): Promise<void> => {
    // Status is current state, not history: while offline there is nothing worth queueing.
    if (!client.connected) return;
    await client.publishAsync(boxTopic("status", address), status(options, state, reason, options.health()), { qos: 1, retain: true });
  };
  const topics = [boxTopic("acks", address), ...(options.onConfig === undefined ? [] : [configTopic]), ...(options.onCommand === undefined ? [] : [commandsTopic])];
  client.on("connect", () => {
    void publishStatus("online", "connected").catch(() => undefined);
    // The session is persistent, but subscribing again on every connection costs nothing and
    // covers a broker that lost its session state.
    void client.subscribeAsync(topics, { qos: 1 }).catch(() => undefined);
  });
  if (options.waitForConnect ?? true) {
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    await client.subscribeAsync(topics, { qos: 1 });
  } else {
    // Connection errors are retried by the client (reconnectPeriod); without a listener they would throw.
    client.on("error", () => undefined);
  }
  const timeoutMs = options.publishTimeoutMs ?? 10_000;
  return {
    client,
    publish(topic, payload) {
      // Offline, mqtt.js would queue the message in memory and the outbox would queue it again on
      // every tick; the outbox is the queue, so refuse at once.
      if (!client.connected) return Promise.reject(new Error("not connected to the broker"));
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no PUBACK within ${timeoutMs} ms`)), timeoutMs);
        client.publish(topic, payload, { qos: 1 }, (error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        });
      });
    },
    publishStatus,
    async publishResponse(response) {
      if (!client.connected) throw new Error("not connected to the broker");
      await client.publishAsync(boxTopic("responses", address), Buffer.from(JSON.stringify(response)), { qos: 1 });
    },
    async close() {
      await publishStatus("offline", "shutdown").catch(() => undefined);
      await client.endAsync();
    },
  };
}
