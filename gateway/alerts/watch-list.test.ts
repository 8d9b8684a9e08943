import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertId, CommandMessage, EventMessage } from "../../protocol/index.js";
import { BOB, eventMessage, item, refOf } from "../reconcile/test-fixtures/reconcile-facts.js";
import { registration } from "../store/store-fixtures.js";
import { pushWatchList } from "./alert-back-end.js";
import { identifiedFaceOf, watchListCommand } from "./watch-list.js";
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

/** Bob's enrolled face, as a box's 1:N search names it at a mismatch on Alice's card. */
const BOBS_FACE = { ref: refOf(BOB), score: 0.41, threshold: 0.6 };

async function confirmImpersonation(identified = false): Promise<string> {
  const plain = eventMessage({ at: "2026-11-24T07:25:00+08:00", outcome: "face_mismatch" });
  const mismatch = identified ? EventMessage.parse({ ...plain, verification: { ...plain.verification, faceIdentifiedAs: BOBS_FACE } }) : plain;
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

  it("puts the face the box identified at the mismatch on watch with the card, and says so in the audit", async () => {
    const id = await confirmImpersonation(true);
    const entries = await s.store.alertCases().watchList(undefined);
    expect(entries.map((e) => [e.site, e.faceTemplateId])).toEqual([
      ["H45012400011", refOf(BOB)],
      ["H50010600123", refOf(BOB)],
    ]);
    const added = (await s.store.alertCases().auditEntries(0, 100)).find((e) => e.action === "watch_list.added" && e.subject === `alert/${id}`);
    expect(JSON.parse(added?.detail ?? "{}")).toMatchObject({ faces: [refOf(BOB)] });
    expect(watchListCommand(entries, s.clock.now).args.watchList).toEqual(entries.map((e) => ({ cardRef: e.cardRef, faceTemplateId: refOf(BOB) })));
    // Without an identification, only the card is watched.
    expect(identifiedFaceOf([eventMessage({ at: "2026-11-24T07:25:00+08:00", outcome: "face_mismatch" })])).toBeNull();
  });

  it("the watched face seen again raises a live W2, on its own card (verified) or on another, flagged by the box or recognised by the gateway", async () => {
    await confirmImpersonation(true);
    s.clock.now += 24 * HOUR;
    // Bob on his own card: the face matches his template, the gateway knows that face is watched.
    const own = eventMessage({ at: "2026-11-25T07:20:00+08:00", patient: BOB });
    // Bob on a third person's card at the same institution, flagged by the box.
    const third = eventMessage({ at: "2026-11-25T08:20:00+08:00", patient: "110105194912310038", outcome: "face_mismatch" });
    const flagged = EventMessage.parse({ ...third, verification: { ...third.verification, faceIdentifiedAs: BOBS_FACE, watchListedFace: true } });
    // Before the confirmation the same face raises nothing: the list was not there yet.
    const before = eventMessage({ at: "2026-11-23T07:20:00+08:00", patient: BOB });
    await s.receive(own, flagged, before);
    await s.pass();
    const w2 = await s.store.alertCases().queryCases({ rule: "W2" }, { limit: 10 });
    expect(w2.items.map((c) => c.id).sort()).toEqual([alertId("watchlisted_face_presented", [own.id]), alertId("watchlisted_face_presented", [flagged.id])].sort());
    expect(w2.items.every((c) => c.severity === "critical" && c.kind === "watchlisted_face_presented")).toBe(true);
    const ownBody = JSON.parse(w2.items.find((c) => c.id === alertId("watchlisted_face_presented", [own.id]))?.body ?? "{}") as { explanation: { en: string; zh: string } };
    expect(ownBody.explanation.en).toContain("the card holder's own");
    expect(ownBody.explanation.zh).toContain("监控名单上的人脸");
    // Bob's card is not on watch (Alice's is): no W1 for these events.
    expect((await s.store.alertCases().queryCases({ rule: "W1" }, { limit: 10 })).items).toEqual([]);
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
