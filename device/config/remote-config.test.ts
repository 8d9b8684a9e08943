import { describe, expect, it } from "vitest";
import { BoxConfig } from "../../firmware-config/box-config.js";
import { exampleMessages } from "../../protocol/examples.js";
import { applyConfigPush } from "./remote-config.js";

const push = exampleMessages().config.message as Record<string, unknown>;
const bytes = (message: unknown): Buffer => Buffer.from(JSON.stringify(message));
const current = BoxConfig.parse({
  configVersion: 1,
  revision: 3,
  box: { id: push.box, site: push.site, role: "ward_round", location: "5B" },
  gateway: { mqttUrl: "mqtt://gw:1883", httpUrl: "http://gw:8080" },
  keys: { signingKeyPath: "/k/box.key", pseudonymKeyPath: "/k/p.key", pseudonymKeyId: "pk-2026-01", templateKeyPath: "/k/t.key" },
});

describe("remote configuration push", () => {
  it("applies a newer push for this box: settings, revision and the roster with its occupants", () => {
    const outcome = applyConfigPush(current, bytes(push));
    expect(outcome).toMatchObject({ applied: true, config: { revision: 17, behaviour: { repeatTapWindowS: 60, nightMode: { exposure: "ir" } } } });
    expect(outcome.applied && outcome.config.roster.filter((bed) => bed.occupant !== undefined)).toHaveLength(2);
    // Everything the push does not carry stays as it was.
    expect(outcome.applied && outcome.config.keys).toEqual(current.keys);
  });

  it("refuses a push that is malformed, for another box, or not newer, keeping the current configuration", () => {
    expect(applyConfigPush(current, Buffer.from("{"))).toMatchObject({ applied: false, reason: "invalid_message" });
    expect(applyConfigPush(current, bytes({ ...push, settings: { hostile: true } }))).toMatchObject({ applied: false, reason: "invalid_message" });
    expect(applyConfigPush(current, bytes({ ...push, box: "someone-else" }))).toMatchObject({ applied: false, reason: "other_box" });
    expect(applyConfigPush({ ...current, revision: 17 }, bytes(push))).toMatchObject({ applied: false, reason: "not_newer" });
  });
});
