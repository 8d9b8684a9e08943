import mqtt, { type MqttClient } from "mqtt";
import {
  boxTopic,
  decodeMessage,
  parseTopic,
  PROTOCOL_VERSION,
  TOPIC_QOS,
  type AckMessage,
  type BoxAddress,
  type StatusMessage,
} from "../../protocol/index.js";
import { chinaTimestamp } from "./china-time.js";
import { SimulationError } from "./simulation-error.js";

/**
 * The simulated boxes' MQTT connections. A real box has its own connection; a thousand boxes on one
 * machine share a capped number of them. Each connection has a stable client id and a persistent
 * session (clean: false; MQTT v5 session expiry), so acks the gateway publishes while it is away are
 * queued by the broker and delivered on reconnect (MQTT-3.1.2-4/5). Its last will marks its first
 * box offline: MQTT allows one will per connection (MQTT-3.1.2-8), so on a shared connection the
 * other boxes' availability is only as exact as their retained online/shutdown statuses.
 */

export interface ConnectionGroup {
  readonly clientId: string;
  readonly boxes: readonly BoxAddress[];
}

export interface GroupingOptions {
  readonly connectionsPerSite: number;
  readonly maxConnections: number;
  readonly clientIdPrefix: string;
}

/** Boxes → connections: per site (one per box when connectionsPerSite is 0), then capped in all. */
export function groupConnections(boxes: readonly BoxAddress[], options: GroupingOptions): ConnectionGroup[] {
  const bySite = new Map<string, BoxAddress[]>();
  for (const box of boxes) bySite.set(box.site, [...(bySite.get(box.site) ?? []), box]);
  let groups: BoxAddress[][] = [];
  for (const siteBoxes of bySite.values()) {
    const count = options.connectionsPerSite === 0 ? siteBoxes.length : Math.min(options.connectionsPerSite, siteBoxes.length);
    groups.push(...chunk(siteBoxes, count));
  }
  if (groups.length > options.maxConnections) groups = chunk(groups.flat(), options.maxConnections);
  return groups.map((members) => {
    const first = members[0] as BoxAddress;
    const clientId = members.length === 1 ? `${options.clientIdPrefix}-${first.box}` : `${options.clientIdPrefix}-${first.box}-g${members.length}`;
    return { clientId, boxes: members };
  });
}

/** `items` in `count` contiguous chunks of near-equal size. */
function chunk<T>(items: readonly T[], count: number): T[][] {
  const size = Math.ceil(items.length / count);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export interface BrokerOptions {
  readonly mqttUrl: string;
  readonly mqttUsername?: string | undefined;
  readonly mqttPassword?: string | undefined;
  readonly protocolVersion: 4 | 5;
  readonly sessionExpirySeconds: number;
  readonly connectTimeoutMs: number;
}

export interface ConnectionHandlers {
  readonly onAcks: (message: AckMessage) => void;
  readonly onInvalidAck: (topic: string, detail: string) => void;
  /** Outbox depth and oldest pending event of a box, reported in its online status. */
  readonly health: (box: string) => { depth: number; oldestPendingAt: string | null };
}

export const AGENT_VERSION = "carewitness-sim/0.1.0";

function statusMessage(box: BoxAddress, state: "online" | "offline", reason: StatusMessage["reason"], at: number, health: StatusMessage["health"]): StatusMessage {
  return { v: PROTOCOL_VERSION, site: box.site, box: box.box, state, reason, at: chinaTimestamp(at), agentVersion: AGENT_VERSION, health };
}

interface Connection {
  readonly group: ConnectionGroup;
  readonly client: MqttClient;
}

export class FleetConnections {
  private constructor(
    private readonly connections: readonly Connection[],
    private readonly routes: ReadonlyMap<string, Connection>,
    private readonly siteRoutes: ReadonlyMap<string, Connection>,
  ) {}

  /**
   * Connects every group and subscribes each to its boxes' acks topics (and those of `strangers`,
   * unregistered boxes whose hostile messages go out on a connection of their site) before returning.
   */
  static async open(groups: readonly ConnectionGroup[], strangers: readonly BoxAddress[], broker: BrokerOptions, handlers: ConnectionHandlers): Promise<FleetConnections> {
    const siteFirst = new Map<string, ConnectionGroup>();
    for (const group of groups) for (const box of group.boxes) if (!siteFirst.has(box.site)) siteFirst.set(box.site, group);
    const extraAcks = new Map<ConnectionGroup, BoxAddress[]>();
    for (const stranger of strangers) {
      const group = siteFirst.get(stranger.site) ?? groups[0];
      if (group !== undefined) extraAcks.set(group, [...(extraAcks.get(group) ?? []), stranger]);
    }
    const settled = await Promise.allSettled(groups.map((group) => connect(group, extraAcks.get(group) ?? [], broker, handlers)));
    const connections = settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const failure = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure !== undefined) {
      await Promise.all(connections.map((c) => c.client.endAsync(true)));
      throw failure.reason;
    }
    const routes = new Map<string, Connection>();
    const siteRoutes = new Map<string, Connection>();
    for (const connection of connections) {
      for (const box of connection.group.boxes) {
        routes.set(box.box, connection);
        if (!siteRoutes.has(box.site)) siteRoutes.set(box.site, connection);
      }
    }
    return new FleetConnections(connections, routes, siteRoutes);
  }

  get count(): number {
    return this.connections.length;
  }

  /** Publishes at QoS 1 on the connection that carries the topic's box; resolves on PUBACK. */
  async publish(topic: string, payload: Buffer): Promise<void> {
    const connection = this.connectionFor(topic);
    if (connection === undefined) throw new RangeError(`no connection for ${topic}`);
    await connection.client.publishAsync(topic, payload, { qos: TOPIC_QOS });
  }

  /** The box's own connection; for a box the fleet does not have (a stranger), one of its site. */
  private connectionFor(topic: string): Connection | undefined {
    const address = parseTopic(topic);
    if (address === undefined) return undefined;
    return (address.box === null ? undefined : this.routes.get(address.box)) ?? this.siteRoutes.get(address.site);
  }

  /**
   * Ends every connection with a DISCONNECT, so no last will fires (MQTT-3.1.2-10). Before that each
   * box publishes its retained offline/shutdown status, or, with `clear`, an empty retained payload
   * that deletes it (MQTT-3.3.1-10), leaving nothing behind on a shared broker.
   */
  async close(mode: "shutdown" | "clear"): Promise<void> {
    await Promise.all(
      this.connections.map(async ({ group, client }) => {
        const now = Date.now();
        await Promise.allSettled(
          group.boxes.map((box) => {
            const payload = mode === "clear" ? Buffer.alloc(0) : Buffer.from(JSON.stringify(statusMessage(box, "offline", "shutdown", now, null)));
            return client.publishAsync(boxTopic("status", box), payload, { qos: TOPIC_QOS, retain: true });
          }),
        );
        await client.endAsync();
      }),
    );
  }
}

async function connect(group: ConnectionGroup, strangers: readonly BoxAddress[], broker: BrokerOptions, handlers: ConnectionHandlers): Promise<Connection> {
  const first = group.boxes[0] as BoxAddress;
  const connectedAt = Date.now();
  const client = mqtt.connect(broker.mqttUrl, {
    clientId: group.clientId,
    clean: false,
    protocolVersion: broker.protocolVersion,
    ...(broker.protocolVersion === 5 ? { properties: { sessionExpiryInterval: broker.sessionExpirySeconds } } : {}),
    reconnectPeriod: 1000,
    connectTimeout: broker.connectTimeoutMs,
    ...(broker.mqttUsername === undefined ? {} : { username: broker.mqttUsername }),
    ...(broker.mqttPassword === undefined ? {} : { password: broker.mqttPassword }),
    will: {
      topic: boxTopic("status", first),
      payload: Buffer.from(JSON.stringify(statusMessage(first, "offline", "last_will", connectedAt, null))),
      qos: TOPIC_QOS,
      retain: true,
    },
  });
  let lastError = "no answer";
  client.on("error", (error) => {
    lastError = error.message;
  });
  client.on("message", (topic, payload) => {
    if (parseTopic(topic)?.kind !== "acks") return;
    const decoded = decodeMessage("acks", payload);
    if (decoded.ok) handlers.onAcks(decoded.message);
    else handlers.onInvalidAck(topic, decoded.violation.detail);
  });
  // Every (re)connection announces the boxes it carries; the status is retained for dashboards.
  client.on("connect", () => {
    for (const box of group.boxes) {
      const { depth, oldestPendingAt } = handlers.health(box.box);
      const online = statusMessage(box, "online", "connected", Date.now(), { reader: "ok", camera: "ok", outboxDepth: depth, oldestPendingAt });
      client.publish(boxTopic("status", box), JSON.stringify(online), { qos: TOPIC_QOS, retain: true });
    }
  });

  const connected = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => { resolve(false); }, broker.connectTimeoutMs);
    client.once("connect", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!connected) {
    await client.endAsync(true);
    throw new SimulationError("broker_unreachable", `MQTT broker ${broker.mqttUrl} did not accept ${group.clientId}: ${lastError}`, { mqttUrl: broker.mqttUrl });
  }
  const topics = [...group.boxes, ...strangers].map((box) => boxTopic("acks", box));
  const granted = await client.subscribeAsync(Object.fromEntries(topics.map((topic) => [topic, { qos: TOPIC_QOS }])));
  const refused = granted.filter((grant) => grant.qos === 128);
  if (refused.length > 0) {
    await client.endAsync(true);
    throw new SimulationError("subscribe_failed", `broker refused ${refused.length} acks subscription(s), e.g. ${refused[0]?.topic ?? ""}`);
  }
  return { group, client };
}
