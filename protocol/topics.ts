import type { z } from "zod";
import { TOPIC_ROOT } from "./version.js";
import { AckMessage } from "./messages/ack.js";
import { AlertMessage } from "./messages/alert.js";
import { CommandMessage, CommandResponseMessage } from "./messages/command.js";
import { ConfigMessage } from "./messages/config.js";
import { EventMessage } from "./messages/event.js";
import { StatusMessage } from "./messages/status.js";
import { BoxId, SiteId, TOPIC_SAFE } from "./identifiers.js";

/**
 * The topic tree, and the only place that builds or parses topic strings.
 *
 *   cw/v1/{site}/{box}/events      box → gateway   QoS 1            signed check events
 *   cw/v1/{site}/{box}/acks        gateway → box   QoS 1            acks after durable storage
 *   cw/v1/{site}/{box}/status      box → all       QoS 1 retained   availability (+ last will)
 *   cw/v1/{site}/{box}/config      gateway → box   QoS 1 retained   configuration
 *   cw/v1/{site}/{box}/commands    gateway → box   QoS 1            commands
 *   cw/v1/{site}/{box}/responses   box → gateway   QoS 1            command responses
 *   cw/v1/{site}/alerts            gateway → all   QoS 1            alerts for supervisors
 */
interface TopicSpec<S extends z.ZodType> {
  readonly scope: "box" | "site";
  readonly from: "box" | "gateway";
  readonly retained: boolean;
  readonly maxPayloadBytes: number;
  readonly schema: S;
  readonly summary: string;
}

export const TOPICS = {
  events: {
    scope: "box",
    from: "box",
    retained: false,
    maxPayloadBytes: 16 * 1024,
    schema: EventMessage,
    summary: "Signed check events from a box.",
  },
  acks: {
    scope: "box",
    from: "gateway",
    retained: false,
    maxPayloadBytes: 256 * 1024,
    schema: AckMessage,
    summary: "Acknowledgements, published only after the gateway has durably stored the events.",
  },
  status: {
    scope: "box",
    from: "box",
    retained: true,
    maxPayloadBytes: 4 * 1024,
    schema: StatusMessage,
    summary: "Retained availability and health of a box; its last will sets it offline.",
  },
  config: {
    scope: "box",
    from: "gateway",
    retained: true,
    maxPayloadBytes: 256 * 1024,
    schema: ConfigMessage,
    summary: "Retained configuration for a box.",
  },
  commands: {
    scope: "box",
    from: "gateway",
    retained: false,
    maxPayloadBytes: 4 * 1024,
    schema: CommandMessage,
    summary: "Commands from the gateway to a box.",
  },
  responses: {
    scope: "box",
    from: "box",
    retained: false,
    maxPayloadBytes: 16 * 1024,
    schema: CommandResponseMessage,
    summary: "A box's responses to commands.",
  },
  alerts: {
    scope: "site",
    from: "gateway",
    retained: false,
    maxPayloadBytes: 16 * 1024,
    schema: AlertMessage,
    summary: "Alerts raised by the gateway, per institution.",
  },
} as const satisfies Record<string, TopicSpec<z.ZodType>>;

/**
 * Every topic is published and subscribed at QoS 1 (at least once, MQTT-4.3.2): redelivery is normal,
 * consumers are idempotent, and nothing needs QoS 2's extra round trip.
 */
export const TOPIC_QOS = 1 as const;

export type TopicKind = keyof typeof TOPICS;
export type BoxTopicKind = { [K in TopicKind]: (typeof TOPICS)[K]["scope"] extends "box" ? K : never }[TopicKind];
export type SiteTopicKind = Exclude<TopicKind, BoxTopicKind>;
export type MessageOf<K extends TopicKind> = z.infer<(typeof TOPICS)[K]["schema"]>;

export const TOPIC_KINDS = Object.keys(TOPICS) as TopicKind[];

export interface BoxAddress {
  readonly site: string;
  readonly box: string;
}

function checkLevel(kind: "site" | "box", value: string): string {
  const result = (kind === "site" ? SiteId : BoxId).safeParse(value);
  if (!result.success) throw new RangeError(`invalid ${kind} id for a topic: ${JSON.stringify(value)}`);
  return value;
}

/** The topic a box-scoped message is published on. */
export function boxTopic(kind: BoxTopicKind, address: BoxAddress): string {
  return `${TOPIC_ROOT}/${checkLevel("site", address.site)}/${checkLevel("box", address.box)}/${kind}`;
}

/** The topic a site-scoped message is published on. */
export function siteTopic(kind: SiteTopicKind, site: string): string {
  return `${TOPIC_ROOT}/${checkLevel("site", site)}/${kind}`;
}

/** The topic's shape for documentation, with `{site}` and `{box}` placeholders. */
export function topicPattern(kind: TopicKind): string {
  return TOPICS[kind].scope === "site" ? `${TOPIC_ROOT}/{site}/${kind}` : `${TOPIC_ROOT}/{site}/{box}/${kind}`;
}

/**
 * A subscription filter for one kind of topic: `+` for any level left open
 * (`cw/v1/+/+/events` receives every box's events).
 */
export function topicFilter(kind: TopicKind, scope: { site?: string; box?: string } = {}): string {
  const site = scope.site === undefined ? "+" : checkLevel("site", scope.site);
  if (TOPICS[kind].scope === "site") return `${TOPIC_ROOT}/${site}/${kind}`;
  const box = scope.box === undefined ? "+" : checkLevel("box", scope.box);
  return `${TOPIC_ROOT}/${site}/${box}/${kind}`;
}

/**
 * An MQTT v5 shared subscription (`$share/{group}/{filter}`, MQTT v5.0 §4.8.2): the broker hands each
 * message to one member of the group, so several gateways split one stream.
 */
export function sharedSubscription(group: string, filter: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(group)) throw new RangeError(`invalid share group name: ${group}`);
  return `$share/${group}/${filter}`;
}

export type ParsedTopic =
  | { readonly kind: BoxTopicKind; readonly site: string; readonly box: string }
  | { readonly kind: SiteTopicKind; readonly site: string; readonly box: null };

const [ROOT_LEVEL, VERSION_LEVEL] = TOPIC_ROOT.split("/");

/**
 * Parses a concrete topic into its kind and address; undefined if it is not part of the tree. It runs
 * for every message the gateway receives, so it tests the id pattern directly instead of through zod.
 */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const levels = topic.split("/");
  if (levels[0] !== ROOT_LEVEL || levels[1] !== VERSION_LEVEL) return undefined;
  const site = levels[2];
  if (site === undefined || !TOPIC_SAFE.test(site)) return undefined;
  if (levels.length === 4) {
    const kind = levels[3];
    return kind === "alerts" ? { kind, site, box: null } : undefined;
  }
  if (levels.length !== 5) return undefined;
  const box = levels[3];
  const kind = levels[4];
  if (box === undefined || !TOPIC_SAFE.test(box)) return undefined;
  if (kind === undefined || !isBoxTopicKind(kind)) return undefined;
  return { kind, site, box };
}

function isBoxTopicKind(kind: string): kind is BoxTopicKind {
  return Object.hasOwn(TOPICS, kind) && TOPICS[kind as TopicKind].scope === "box";
}
