import { readFileSync } from "node:fs";
import { z } from "zod";
import { ATTESTATION_REASONS } from "../../protocol/index.js";

/**
 * A hardware-level scenario: the boxes of one institution, the people (patients with the face
 * photos that stand for them and a synthetic ID card each; nurses and doctors with cards), and a
 * timeline of what truly happens in front of the boxes. Every step's ground truth follows from the
 * step itself (an impersonator is `card` of one person and `face` of another), so the simulator can
 * write what truly happened and score the gateway's events against it. See simulator/scenarios/README.md.
 */
const Id = z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, "1-40 of A-Z a-z 0-9 _ . -");
/** `HH:MM` in the institution's local time (China, UTC+8) on `day`. */
const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM");

const Look = z.strictObject({
  light: z.enum(["normal", "dark", "bright"]).default("normal"),
  distance: z.enum(["normal", "far", "close"]).default("normal"),
  rollDeg: z.number().min(-30).max(30).default(0),
  offsetX: z.number().min(-0.3).max(0.3).default(0),
  offsetY: z.number().min(-0.3).max(0.3).default(0),
  /** Which photo of the identity the camera films (default 4; the enrolment before the scenario uses photos 0-3). */
  photo: z.number().int().min(0).max(99).default(4),
});
export type Look = z.infer<typeof Look>;

/** When a step happens, and words for the printed truth. */
const When = {
  /** Day of the scenario, 0 first. */
  day: z.number().int().min(0).max(20).default(0),
  at: Clock,
  note: z.string().max(200).optional(),
};

const Box = z.strictObject({
  id: Id,
  role: z.enum(["dialysis_station", "ward_round"]),
  /** Station (chair) or ward. */
  location: z.string().min(1).max(64),
  /** Camera exposure the box sets for night rounds (its configuration's nightMode.exposure). */
  nightExposure: z.enum(["auto", "long", "ir"]).default("auto"),
  /** Ward-round boxes: the roster the gateway would send, bed → the inpatient assigned to it. */
  beds: z.array(z.strictObject({ bed: z.string().min(1).max(32), patient: Id.nullable() })).default([]),
});

const Person = z.strictObject({
  id: Id,
  role: z.enum(["patient", "nurse", "doctor", "inspector"]),
  /** Folder of this person's photos in the face library (LFW layout); staff may have none. */
  face: z.string().regex(/^[\w.-]+$/).optional(),
  /** Boxes whose template store holds this patient's face before the scenario starts (enrolled earlier). */
  enrolledAt: z.array(Id).default([]),
});

const CheckStep = z.strictObject({
  ...When,
  do: z.literal("check"),
  box: Id,
  /** Whose card is placed on the reader. */
  card: Id,
  /** Who stands in front of the camera (default: the card's holder); null: nobody. */
  face: Id.nullable().optional(),
  /** A presentation attack instead of a face: a print or a phone showing `of`'s photo. */
  attack: z.strictObject({ kind: z.enum(["printed_photo", "screen_replay"]), of: Id }).optional(),
  look: Look.optional(),
});

const AttestStep = z.strictObject({
  ...When,
  do: z.literal("attest"),
  box: Id,
  nurse: Id,
  patient: Id,
  reason: z.enum(ATTESTATION_REASONS),
});

const RoundStep = z.strictObject({
  ...When,
  do: z.literal("round"),
  box: Id,
  operator: Id,
  role: z.enum(["doctor", "nurse", "inspector"]),
  beds: z
    .array(
      z.strictObject({
        bed: z.string().min(1).max(32),
        /** Who is truly in the bed: a person id, or null when it is empty. */
        present: Id.nullable(),
        look: Look.optional(),
      }),
    )
    .min(1),
});

const EnrolStep = z.strictObject({
  ...When,
  do: z.literal("enrol"),
  box: Id,
  nurse: Id,
  patient: Id,
  look: Look.optional(),
});

const FaultStep = z.strictObject({
  ...When,
  do: z.enum(["network_down", "network_up", "unplug_reader", "replug_reader", "camera_stops", "camera_resumes"]),
  box: Id,
});

export const ScenarioStep = z.discriminatedUnion("do", [CheckStep, AttestStep, RoundStep, EnrolStep, FaultStep]);
export type ScenarioStep = z.infer<typeof ScenarioStep>;

export const Scenario = z
  .strictObject({
    name: z.string().min(1).max(80),
    description: z.string().max(2000).default(""),
    site: Id,
    seed: z.string().min(1).max(80).default("scenario"),
    boxes: z.array(Box).min(1),
    people: z.array(Person).min(1),
    timeline: z.array(ScenarioStep).min(1),
  })
  .superRefine((scenario, ctx) => {
    const boxes = new Map(scenario.boxes.map((b) => [b.id, b]));
    const people = new Map(scenario.people.map((p) => [p.id, p]));
    const need = (map: Map<string, unknown>, id: string | null | undefined, path: (string | number)[], what: string): void => {
      if (id !== null && id !== undefined && !map.has(id)) ctx.addIssue({ code: "custom", path, message: `no ${what} ${JSON.stringify(id)}` });
    };
    if (boxes.size !== scenario.boxes.length) ctx.addIssue({ code: "custom", path: ["boxes"], message: "box ids must be unique" });
    if (people.size !== scenario.people.length) ctx.addIssue({ code: "custom", path: ["people"], message: "person ids must be unique" });
    scenario.people.forEach((p, i) => p.enrolledAt.forEach((b, j) => need(boxes, b, ["people", i, "enrolledAt", j], "box")));
    scenario.people.forEach((p, i) => {
      if (p.enrolledAt.length > 0 && p.face === undefined) ctx.addIssue({ code: "custom", path: ["people", i, "face"], message: "an enrolled person needs a face folder" });
    });
    scenario.boxes.forEach((b, i) => b.beds.forEach((bed, j) => need(people, bed.patient, ["boxes", i, "beds", j, "patient"], "person")));
    let previous = -1;
    scenario.timeline.forEach((step, i) => {
      const path = ["timeline", i];
      need(boxes, step.box, [...path, "box"], "box");
      const box = boxes.get(step.box);
      const minute = step.day * 1440 + minutesOf(step.at);
      if (minute < previous) ctx.addIssue({ code: "custom", path: [...path, "at"], message: "the timeline must be in time order" });
      previous = minute;
      switch (step.do) {
        case "check":
          need(people, step.card, [...path, "card"], "person");
          need(people, step.face, [...path, "face"], "person");
          need(people, step.attack?.of, [...path, "attack", "of"], "person");
          if (box?.role !== "dialysis_station") ctx.addIssue({ code: "custom", path: [...path, "box"], message: "a check runs on a dialysis station; ward boxes use a round" });
          break;
        case "attest":
          need(people, step.nurse, [...path, "nurse"], "person");
          need(people, step.patient, [...path, "patient"], "person");
          if (box?.role !== "dialysis_station") ctx.addIssue({ code: "custom", path: [...path, "box"], message: "attestations in this format run on a dialysis station" });
          break;
        case "enrol":
          need(people, step.nurse, [...path, "nurse"], "person");
          need(people, step.patient, [...path, "patient"], "person");
          if (step.patient !== step.nurse && scenario.people.find((p) => p.id === step.patient)?.face === undefined) {
            ctx.addIssue({ code: "custom", path: [...path, "patient"], message: "an enrolled person needs a face folder" });
          }
          break;
        case "round":
          need(people, step.operator, [...path, "operator"], "person");
          step.beds.forEach((bed, j) => need(people, bed.present, [...path, "beds", j, "present"], "person"));
          if (box?.role !== "ward_round") ctx.addIssue({ code: "custom", path: [...path, "box"], message: "a round runs on a ward-round box" });
          step.beds.forEach((bed, j) => {
            if (box !== undefined && !box.beds.some((b) => b.bed === bed.bed)) ctx.addIssue({ code: "custom", path: [...path, "beds", j, "bed"], message: `bed ${bed.bed} is not on ${box.id}'s roster` });
          });
          break;
        default:
          break;
      }
    });
  });
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export class ScenarioError extends Error {
  constructor(
    readonly code: "unreadable" | "not_json" | "invalid",
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${code}: ${problems.join("; ")}`);
    this.name = "ScenarioError";
  }
}

/** Reads and validates a scenario file; every problem is reported with its path. */
export function readScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ScenarioError("unreadable", file, [(error as Error).message]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError("not_json", file, [(error as Error).message]);
  }
  const parsed = Scenario.safeParse(json);
  if (!parsed.success) throw new ScenarioError("invalid", file, parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`));
  return parsed.data;
}
