import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertId, CommandMessage, EventMessage } from "../../protocol/index.js";
import { eventMessage, item } from "../reconcile/test-fixtures/reconcile-facts.js";
import { registration } from "../store/store-fixtures.js";
import { pushWatchList } from "./alert-back-end.js";
import { createAlertDesk } from "./alert-desk.js";
import { alertScenario, SITE, type AlertScenario } from "./test-fixtures/alert-scenario.js";

const HOUR = 3_600_000;
let s: AlertScenario;
beforeEach(async () => {
  s = await alertScenario();
});
afterEach(async () => {
  await s.close();
});

async function confirmImpersonation(): Promise<string> {
  const mismatch = eventMessage({ at: "2026-11-24T07:25:00+08:00", outcome: "face_mismatch" });
  await s.receive(mismatch);
  await s.bill(item({ line: "L1", start: "2026-11-24 07:30", institution: SITE }), item({ line: "L7", start: "2026-11-20 07:30", institution: "H45012400011" }));
  await s.pass();
  const id = alertId("impersonation_suspected", [mismatch.id]);
  const desk = createAlertDesk({ store: s.store, now: () => s.clock.now });
  await desk.act(id, { action: "acknowledge", reason: null, note: null }, "supervisor:li");
  expect((await desk.act(id, { action: "confirm", reason: null, note: "staff saw someone else" }, "supervisor:li")).result).toBe("applied");
  return id;
}

describe("watch list", () => {
  it("a confirmed impersonation puts the card on the lists of the institutions concerned, audited", async () => {
    const id = await confirmImpersonation();
    const entries = await s.store.alertCases().watchList(undefined);
    // Where the card was presented, and the other institution that billed the same patient.
    expect(entries.map((e) => [e.site, e.alertId, e.addedBy])).toEqual([
      ["H45012400011", id, "supervisor:li"],
      ["H50010600123", id, "supervisor:li"],
    ]);
    const audit = await s.store.alertCases().auditEntries(0, 100);
    expect(audit.map((e) => e.action)).toContain("watch_list.added");
  });

  it("the card presented again raises a live W1 alert, whatever the face said; so does a box's own flag", async () => {
    await confirmImpersonation();
    s.clock.now += 24 * HOUR;
    const again = eventMessage({ at: "2026-11-25T07:20:00+08:00" });
    await s.receive(again);
    await s.pass();
    const w1 = await s.store.alertCases().queryCases({ rule: "W1" }, { limit: 10 });
    expect(w1.items.map((c) => [c.id, c.severity, c.state])).toEqual([[alertId("watchlisted_card_presented", [again.id]), "critical", "open"]]);
    expect(JSON.parse(w1.items[0]?.body ?? "{}")).toMatchObject({ explanation: { en: expect.stringContaining("Watch-listed card") as unknown } });

    const plain = eventMessage({ at: "2026-11-25T09:00:00+08:00", patient: "110105194912310011", site: "H45012400011", box: "chair-box-1" });
    const flagged = EventMessage.parse({ ...plain, verification: { ...plain.verification, watchListed: true } });
    await s.receive(flagged);
    await s.pass();
    expect((await s.store.alertCases().queryCases({ rule: "W1" }, { limit: 10 })).items).toHaveLength(2);
  });

  it("is pushed to every box of the institution as one watch_list_update command", async () => {
    await confirmImpersonation();
    await s.store.registerDevice(registration("chair-box-2", { site: SITE }));
    const sent: { box: string; body: string }[] = [];
    const boxes = await pushWatchList(s.store, SITE, (_site, box, body) => {
      sent.push({ box, body });
      return Promise.resolve();
    });
    expect(boxes).toBe(3);
    expect(sent.map((m) => m.box).sort()).toEqual(["chair-box-1", "chair-box-2", "ward-box-1"]);
    const command = CommandMessage.parse(JSON.parse(sent[0]?.body ?? "{}"));
    expect(command.command).toBe("watch_list_update");
    expect(command.args.watchList?.map((e) => e.cardRef)).toEqual([(await s.store.alertCases().watchList(SITE))[0]?.cardRef]);
  });
});
