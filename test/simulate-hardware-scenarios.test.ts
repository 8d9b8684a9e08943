import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FaceLibrary } from "../simulator/camera/face-library.js";
import { formatTruth, scoreTruth, type TruthEntry } from "../simulator/hardware/ground-truth.js";
import { scenarioDayZero, stepTime } from "../simulator/hardware/hardware-simulation.js";
import { readScenario, Scenario, ScenarioError, type ScenarioInput } from "../simulator/hardware/scenario.js";
import { SimulationClock } from "../simulator/hardware/simulation-clock.js";

/**
 * The scenario format without running boxes: every example in simulator/scenarios parses and names
 * faces that exist in the development set; a bad file is refused with each problem's path; the
 * scenario's time lies in the past; scoring tells agreement from false accepts and lost events.
 */
const SCENARIOS = fileURLToPath(new URL("../simulator/scenarios/", import.meta.url));
const FACES = fileURLToPath(new URL("../../shared/faces/lfw/", import.meta.url));

const minimal: ScenarioInput = {
  name: "t",
  site: "H-T",
  boxes: [{ id: "c1", role: "dialysis_station", location: "chair-1" }],
  people: [{ id: "p1", role: "patient", face: "Andre_Agassi", enrolledAt: ["c1"] }],
  timeline: [{ at: "07:00", do: "check", box: "c1", card: "p1" }],
};

describe("scenario files", () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith(".json"));
  it("ships several examples", () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });
  for (const file of files) {
    it(`${file} is valid and its faces exist with enough photos`, () => {
      const scenario = readScenario(join(SCENARIOS, file));
      const faces = new FaceLibrary(FACES);
      for (const person of scenario.people) {
        if (person.face !== undefined) expect(faces.photos(person.face).length, person.face).toBeGreaterThanOrEqual(5);
      }
    });
  }

  it("refuses unknown people, boxes, out-of-order steps, wrong box roles and unknown keys, naming each path", () => {
    const bad = {
      ...minimal,
      extra: 1,
      timeline: [
        { at: "08:00", do: "check", box: "c1", card: "nobody" },
        { at: "07:00", do: "check", box: "c9", card: "p1" },
        { at: "07:30", do: "round", box: "c1", operator: "p1", role: "doctor", beds: [{ bed: "1", present: null }] },
      ],
    };
    const result = Scenario.safeParse(bad);
    expect(result.success).toBe(false);
    const problems = result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^: Unrecognized key.*extra/),
      ]),
    );
    const fixed = Scenario.safeParse({ ...bad, extra: undefined });
    const paths = fixed.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining([
        'timeline.0.card: no person "nobody"',
        'timeline.1.box: no box "c9"',
        "timeline.1.at: the timeline must be in time order",
        "timeline.2.box: a round runs on a ward-round box",
        "timeline.2.beds.0.bed: bed 1 is not on c1's roster",
      ]),
    );
  });

  it("reports an unreadable file and a file that is not JSON with typed codes", () => {
    const dir = mkdtempSync(join(tmpdir(), "cw-scenario-"));
    writeFileSync(join(dir, "broken.json"), "{ nope");
    expect(() => readScenario(join(dir, "missing.json"))).toThrow(expect.objectContaining({ code: "unreadable" }) as unknown);
    expect(() => readScenario(join(dir, "broken.json"))).toThrow(ScenarioError);
    expect(() => readScenario(join(dir, "broken.json"))).toThrow(expect.objectContaining({ code: "not_json" }) as unknown);
    rmSync(dir, { recursive: true });
  });

  it("places the whole timeline in the past, in China time, with day 0 at local midnight", () => {
    const scenario = Scenario.parse({ ...minimal, timeline: [{ at: "07:00", do: "check", box: "c1", card: "p1" }, { day: 3, at: "23:59", do: "check", box: "c1", card: "p1" }] });
    const now = Date.parse("2026-11-25T21:00:00Z"); // 05:00 on the 26th in China
    const zero = scenarioDayZero(scenario, now);
    expect(new Date(zero).toISOString()).toBe("2026-11-21T16:00:00.000Z"); // 00:00 on the 22nd in China
    expect(stepTime(zero, { day: 3, at: "23:59" })).toBeLessThan(now);
    expect(new Date(stepTime(zero, { day: 0, at: "07:00" })).toISOString()).toBe("2026-11-21T23:00:00.000Z");
  });

  it("compresses time between steps and never runs it backwards", () => {
    const clock = new SimulationClock(1_000_000);
    clock.jumpTo(5_000_000);
    expect(clock.now()).toBeGreaterThanOrEqual(5_000_000);
    clock.jumpTo(2_000_000);
    expect(clock.now()).toBeGreaterThanOrEqual(5_000_000);
  });
});

describe("scoring the truth against stored events", () => {
  const base = { at: "2026-11-25T00:00:00Z", box: "c1", action: "check", cardOf: "p1", truePerson: "p1", subjectRef: "a".repeat(64), bed: null, conditions: [], note: null } as const;
  const truth: TruthEntry[] = [
    { ...base, step: 0, what: "genuine", expected: "verified", recorded: [{ id: "e1", seq: 1, kind: "dialysis.check_in", outcome: "verified" }] },
    { ...base, step: 1, what: "impersonation", truePerson: "p2", expected: "rejected", recorded: [{ id: "e2", seq: 2, kind: "dialysis.check_in", outcome: "verified" }] },
    { ...base, step: 2, what: "genuine", expected: "verified", recorded: [{ id: "e3", seq: 3, kind: "dialysis.check_out", outcome: "suspected_spoof" }] },
    { ...base, step: 3, what: "genuine", expected: "verified", recorded: [{ id: "e4", seq: 4, kind: "dialysis.check_in", outcome: "verified" }] },
    { ...base, step: 4, what: "fault", expected: "no_event", recorded: [] },
    { ...base, step: 5, what: "genuine", expected: "no_event", conditions: ["reader unplugged"], recorded: [{ id: "e5", seq: 5, kind: "dialysis.check_in", outcome: "card_only" }] },
  ];
  const stored = [
    { id: "e1", box: "c1", kind: "dialysis.check_in", outcome: "verified", subjectRef: "a".repeat(64) },
    { id: "e2", box: "c1", kind: "dialysis.check_in", outcome: "verified", subjectRef: "a".repeat(64) },
    { id: "e3", box: "c1", kind: "dialysis.check_out", outcome: "suspected_spoof", subjectRef: "a".repeat(64) },
    { id: "e5", box: "c1", kind: "dialysis.check_in", outcome: "card_only", subjectRef: "a".repeat(64) },
    { id: "e9", box: "c1", kind: "dialysis.check_in", outcome: "verified", subjectRef: "b".repeat(64) },
  ];
  it("tells agreement, a false accept, a false reject, an event lost on the way and an unexpected event apart", () => {
    const score = scoreTruth(truth, stored);
    expect(score.entries.map((e) => e.verdict)).toEqual(["agrees", "false_accept", "false_reject", "not_stored", "agrees", "unexpected_event"]);
    expect(score.strayEvents).toBe(1);
    expect(formatTruth(truth, score)).toContain("score: agrees 2, false_accept 1, false_reject 1, not_stored 1, unexpected_event 1; stray events 1");
  });
});
