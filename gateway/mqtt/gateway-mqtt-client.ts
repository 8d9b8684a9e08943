import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { sharedSubscription, topicFilter, type TopicKind } from "../../protocol/index.js";

/**
 * The gateway's MQTT session. QoS 1 with a persistent session (clean start off, long session expiry)
 * so the broker queues events while the gateway restarts. The incoming handler is installed before
 * the connection opens, because a persistent session starts delivering queued messages right away.
 *
 * MQTT.js sends the PUBACK for a message when `handleMessage` calls back, and reads no further
 * messages until then; the handler calls back once the ingest pipeline has room, which gives the
 * broker backpressure. The box's end-to-end guarantee comes from the gateway's own ack, sent only
 * after the event is stored: a message lost inside a crashing gateway is re-sent by the box.
 */
export interface GatewayMqttOptions {
  readonly url: string;
  readonly clientId: string;
  readonly protocolVersion: 4 | 5;
  readonly shareGroup: string | null;
  readonly sessionExpirySeconds: number;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly onMessage: (topic: string, payload: Buffer) => Promise<void>;
  readonly log: (level: "info" | "warn" | "error", message: string) => void;
}

/** Kinds the gateway consumes; the others it only publishes. */
const CONSUMED: readonly TopicKind[] = ["events", "status", "responses"];

export async function connectGatewayMqtt(options: GatewayMqttOptions): Promise<MqttClient> {
  const useShare = options.shareGroup !== null && options.protocolVersion === 5;
  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    protocolVersion: options.protocolVersion,
    clean: false,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...(options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: options.sessionExpirySeconds } } : {}),
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
  };
  const client = mqtt.connect(options.url, { ...clientOptions, manualConnect: true });
  client.handleMessage = (packet, callback) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    options.onMessage(packet.topic, payload).then(
      () => {
        callback();
      },
      (error: unknown) => {
        options.log("error", `message on ${packet.topic} not taken: ${String(error)}`);
        callback(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };
  client.on("error", (error) => {
    options.log("error", `mqtt: ${error.message}`);
  });
  client.on("offline", () => {
    options.log("warn", "mqtt: offline, reconnecting");
  });

  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`could not connect to MQTT broker ${options.url} within 15 s`));
    }, 15_000);
    client.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  client.connect();
  try {
    await connected;
  } catch (error) {
    client.end(true);
    throw error;
  }
  const group = options.shareGroup;
  const filters = CONSUMED.map((kind) => (useShare && group !== null ? sharedSubscription(group, topicFilter(kind)) : topicFilter(kind)));
  const granted = await client.subscribeAsync(filters, { qos: 1 });
  const refused = granted.filter((g) => g.qos > 2);
  if (refused.length > 0) throw new Error(`broker refused subscriptions: ${refused.map((g) => g.topic).join(", ")}`);
  options.log("info", `mqtt: connected to ${options.url} as ${options.clientId}, subscribed ${filters.join(" ")}`);
  return client;
}
