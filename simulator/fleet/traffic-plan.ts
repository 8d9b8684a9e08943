import { boxTopic, type EventKind, type EventMessage, type Outcome } from "../../protocol/index.js";
import { DAY_MS } from "./china-time.js";
import { dialysisChecks, wardRoundChecks, type ScheduledCheck, type TimeWindow } from "./care-schedule.js";
import { buildCheckEvent, mintEventId, signAndEncode } from "./check-events.js";
import type { FleetPlan, PlannedBox } from "./fleet-plan.js";
import { DEFECT_REASONS, DefectFactory, type DefectMessage, type DefectReason, type DefectTruth } from "./hostile-messages.js";
import { drawOutcome, type CheckContext } from "./outcome-odds.js";
import { SeededRandom } from "./seeded-random.js";
import { TrafficOptions, type TrafficOptionsInput } from "./simulation-options.js";

/**
 * The messages of a simulated period, in publication order, each with the ground truth the gateway's
 * answer is judged against. Valid events are ordered by their device time (ties by box, then seq);
 * hostile messages are interleaved after the real event they were built from.
 */

export interface ValidTruth {
  readonly type: "valid";
  readonly id: string;
  readonly seq: number;
  readonly kind: EventKind;
  readonly outcome: Outcome;
  readonly site: string;
  readonly box: string;
  /** The device clock reading (`clock.at`). */
  readonly at: string;
  /** The plan's id of the person checked (never on the wire). */
  readonly person: string;
}

export type MessageTruth = ValidTruth | DefectTruth;

export interface PlannedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly truth: MessageTruth;
}

interface ValidEvent {
  readonly box: PlannedBox;
  readonly event: EventMessage;
  readonly atMs: number;
  readonly message: PlannedMessage;
}

/** How far after its source a hostile message may be placed, in valid messages. */
const DEFECT_SPREAD = 40;

export function planTraffic(fleet: FleetPlan, input: TrafficOptionsInput): PlannedMessage[] {
  const options = TrafficOptions.parse(input);
  const window: TimeWindow = { startMs: options.endAt - options.days * DAY_MS, endMs: options.endAt };
  const root = SeededRandom.fromSeed(fleet.seed);
  const valid = fleet.boxes
    .flatMap((box) => boxEvents(fleet, box, root, window))
    .sort((a, b) => a.atMs - b.atMs || compareText(a.box.box, b.box.box) || a.event.seq - b.event.seq);
  return interleaveDefects(valid, planDefects(fleet, valid, root.fork("defects"), options.badShare, options.endAt));
}

/** One box's valid events: its checks in time order, seq 1, 2, 3, … */
function boxEvents(fleet: FleetPlan, box: PlannedBox, root: SeededRandom, window: TimeWindow): ValidEvent[] {
  const schedule = root.fork(`schedule|${box.box}`);
  const checks = (box.role === "dialysis_station" ? dialysisChecks : wardRoundChecks)(fleet, box, schedule, window);
  // Stable sort: equal times keep schedule order, so a check-in stays before its own check-out.
  checks.sort((a, b) => a.at - b.at);
  const random = root.fork(`events|${box.box}`);
  const checkInIds = new Map<string, string>();
  const roundIds = new Map<string, string>();
  return checks.map((check, index): ValidEvent => {
    const seq = index + 1;
    const id = mintEventId(random, check.at);
    const outcome = drawOutcome(random, contextOf(check));
    let checkInId: string | null = null;
    let roundId: string | undefined;
    if (check.kind === "dialysis.check_in") checkInIds.set(check.session, id);
    if (check.kind === "dialysis.check_out") checkInId = checkInIds.get(check.session) ?? null;
    if (check.kind === "ward.bedside_check") {
      roundId = roundIds.get(check.round.key) ?? mintEventId(random, check.round.startAt);
      roundIds.set(check.round.key, roundId);
    }
    const unsigned = buildCheckEvent(fleet, box, check, outcome, { id, seq, checkInId, ...(roundId === undefined ? {} : { roundId }) }, random);
    const { event, payload } = signAndEncode(unsigned, box);
    const truth: ValidTruth = { type: "valid", id, seq, kind: check.kind, outcome, site: box.site, box: box.box, at: event.clock.at, person: check.patient.personId };
    return { box, event, atMs: check.at, message: { topic: boxTopic("events", box), payload, truth } };
  });
}

function contextOf(check: ScheduledCheck): CheckContext {
  if (check.kind !== "ward.bedside_check") return "dialysis";
  return check.round.shift === "day" ? "day_round" : "night_round";
}

interface PlacedDefect {
  /** Index of the valid message it follows. */
  readonly after: number;
  readonly message: DefectMessage;
}

/**
 * `badShare` of all messages: n / (valid + n) = badShare. Reasons are dealt from reshuffled rounds of
 * the full list, so every reason appears once the plan has at least that many defects.
 */
function planDefects(fleet: FleetPlan, valid: readonly ValidEvent[], random: SeededRandom, badShare: number, endAtMs: number): PlacedDefect[] {
  if (valid.length === 0 || badShare === 0) return [];
  const count = Math.max(1, Math.round((valid.length * badShare) / (1 - badShare)));
  const factory = new DefectFactory(fleet, random, endAtMs);
  const placed: PlacedDefect[] = [];
  let deck: DefectReason[] = [];
  for (let i = 0; i < count; i++) {
    if (deck.length === 0) deck = random.shuffle(DEFECT_REASONS);
    const reason = deck.pop() as DefectReason;
    const sourceIndex = random.int(0, valid.length - 1);
    const source = valid[sourceIndex] as ValidEvent;
    const after = Math.min(valid.length - 1, sourceIndex + random.int(0, DEFECT_SPREAD));
    placed.push({ after, message: factory.build(reason, source) });
  }
  return placed;
}

function interleaveDefects(valid: readonly ValidEvent[], defects: readonly PlacedDefect[]): PlannedMessage[] {
  const following = new Map<number, DefectMessage[]>();
  for (const defect of defects) following.set(defect.after, [...(following.get(defect.after) ?? []), defect.message]);
  return valid.flatMap((item, index) => [item.message, ...(following.get(index) ?? [])]);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
