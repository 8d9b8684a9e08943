import { describe, expect, it } from "vitest";
import {
  boxTopic,
  parseTopic,
  sharedSubscription,
  siteTopic,
  TOPIC_KINDS,
  TOPICS,
  topicFilter,
  topicPattern,
  type SiteTopicKind,
  type TopicKind,
} from "./topics.js";

const address = { site: "H50010600123", box: "dlys-a03" };

function isSiteKind(kind: TopicKind): kind is SiteTopicKind {
  return TOPICS[kind].scope === "site";
}

function topicOf(kind: TopicKind): string {
  return isSiteKind(kind) ? siteTopic(kind, address.site) : boxTopic(kind, address);
}

/** MQTT topic-filter matching (MQTT-4.7.1): `+` is one level, `#` the rest. */
function matches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

describe("topic build and parse", () => {
  it.each(TOPIC_KINDS)("round-trips a %s topic", (kind) => {
    const topic = topicOf(kind);
    expect(parseTopic(topic)).toEqual({ kind, site: address.site, box: isSiteKind(kind) ? null : address.box });
  });

  it("builds the documented shapes", () => {
    expect(boxTopic("events", address)).toBe("cw/v1/H50010600123/dlys-a03/events");
    expect(siteTopic("alerts", "H50010600123")).toBe("cw/v1/H50010600123/alerts");
    expect(topicPattern("status")).toBe("cw/v1/{site}/{box}/status");
    expect(topicPattern("alerts")).toBe("cw/v1/{site}/alerts");
  });

  it.each([
    ["a foreign root", "zigbee2mqtt/H50010600123/dlys-a03/events"],
    ["another protocol version", "cw/v2/H50010600123/dlys-a03/events"],
    ["an unknown kind", "cw/v1/H50010600123/dlys-a03/eventz"],
    ["a site kind at box level", "cw/v1/H50010600123/dlys-a03/alerts"],
    ["a box kind at site level", "cw/v1/H50010600123/events"],
    ["too many levels", "cw/v1/H50010600123/dlys-a03/events/extra"],
    ["too few levels", "cw/v1/H50010600123"],
    ["an empty level", "cw/v1//dlys-a03/events"],
    ["a trailing slash", "cw/v1/H50010600123/dlys-a03/events/"],
    ["a wildcard site", "cw/v1/+/dlys-a03/events"],
    ["a wildcard box", "cw/v1/H50010600123/#/events"],
    ["a $-prefixed id", "cw/v1/$SYS/dlys-a03/events"],
    ["a shared subscription", "$share/gw/cw/v1/H50010600123/dlys-a03/events"],
    ["an inherited property name as kind", "cw/v1/H50010600123/dlys-a03/constructor"],
    ["an upper-case kind", "cw/v1/H50010600123/dlys-a03/EVENTS"],
  ])("rejects %s", (_label, topic) => {
    expect(parseTopic(topic)).toBeUndefined();
  });

  it.each(["", "a/b", "+", "#", "$SYS", ".hidden", "-lead", "a b", "箱子", "x".repeat(65), "nul\u0000"])(
    "refuses to build a topic with the unsafe id %j",
    (id) => {
      expect(() => boxTopic("events", { site: address.site, box: id })).toThrow(RangeError);
      expect(() => boxTopic("events", { site: id, box: address.box })).toThrow(RangeError);
      expect(() => siteTopic("alerts", id)).toThrow(RangeError);
    },
  );

  it("accepts ids up to 64 characters", () => {
    const box = `b${"x".repeat(63)}`;
    expect(parseTopic(boxTopic("events", { site: address.site, box }))?.box).toBe(box);
  });
});

describe("subscription filters", () => {
  it("leaves unnamed levels open", () => {
    expect(topicFilter("events")).toBe("cw/v1/+/+/events");
    expect(topicFilter("events", { site: "H50010600123" })).toBe("cw/v1/H50010600123/+/events");
    expect(topicFilter("acks", address)).toBe("cw/v1/H50010600123/dlys-a03/acks");
    expect(topicFilter("alerts")).toBe("cw/v1/+/alerts");
    expect(topicFilter("alerts", address)).toBe("cw/v1/H50010600123/alerts");
  });

  it.each(TOPIC_KINDS)("the %s filter matches its topics and no other kind's", (kind) => {
    const filter = topicFilter(kind);
    for (const other of TOPIC_KINDS) expect(matches(filter, topicOf(other))).toBe(other === kind);
  });

  it("refuses unsafe ids in a filter", () => {
    expect(() => topicFilter("events", { site: "#" })).toThrow(RangeError);
    expect(() => topicFilter("events", { box: "a/b" })).toThrow(RangeError);
  });

  it("builds MQTT v5 shared subscriptions (MQTT v5.0 §4.8.2)", () => {
    expect(sharedSubscription("carewitness-gateway", topicFilter("events"))).toBe("$share/carewitness-gateway/cw/v1/+/+/events");
  });

  it.each(["", "a/b", "+", "#", "x".repeat(65)])("refuses the share group name %j", (group) => {
    expect(() => sharedSubscription(group, topicFilter("events"))).toThrow(RangeError);
  });
});
