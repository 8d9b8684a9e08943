import { boxTopic, type EventMessage, type QuarantineReason } from "../../protocol/index.js";
import { deriveBoxKey, signWithKey, type BoxKey } from "./box-keys.js";
import { chinaTimestamp, DAY_MS } from "./china-time.js";
import { mintEventId } from "./check-events.js";
import type { FleetPlan, PlannedBox } from "./fleet-plan.js";
import type { SeededRandom } from "./seeded-random.js";

/**
 * Hostile and broken messages, each labelled with the quarantine reason the gateway must give it.
 * Each is built from a real event of the plan (its "source") and is placed after it. Those that reuse
 * the source's id or seq (bad_signature, replay_conflict, sequence_reuse) name it in `copies`: the
 * gateway must have stored the source first or the labels would swap, so the publisher holds them
 * back until the source is acked.
 */
export const DEFECT_REASONS = [
  "bad_signature",
  "wrong_key",
  "invalid_json",
  "unsupported_version",
  "unknown_field",
  "schema_invalid",
  "payload_too_large",
  "unknown_box",
  "replay_conflict",
  "sequence_reuse",
  "clock_in_future",
] as const satisfies readonly QuarantineReason[];
export type DefectReason = (typeof DEFECT_REASONS)[number];

/**
 * Reasons found after the payload parsed and validated: the message has an id and seq, so the gateway
 * can ack it (as quarantined) on the box's acks topic.
 */
export const ACKABLE_DEFECTS: ReadonlySet<DefectReason> = new Set(["bad_signature", "wrong_key", "unknown_box", "replay_conflict", "sequence_reuse", "clock_in_future"]);

/**
 * New events of a hostile message take seqs from this base up, far past anything a box's real
 * traffic reaches, so even a gateway that wrongly stored one could not make a real event a
 * sequence_reuse.
 */
export const DEFECT_SEQ_BASE = 1_000_000_000;

export interface DefectTruth {
  readonly type: "defect";
  readonly reason: DefectReason;
  readonly site: string;
  readonly box: string;
  /** Parses and validates, so carries an id and seq the gateway can ack. */
  readonly ackable: boolean;
  readonly id: string | null;
  readonly seq: number | null;
  /** The valid event whose id or seq this message reuses; it must be stored before this is sent. */
  readonly copies: string | null;
  readonly detail: string;
}

export interface DefectMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly truth: DefectTruth;
}

interface IdAndSeq {
  readonly id: string;
  readonly seq: number;
}

export interface DefectSource {
  readonly event: EventMessage;
  readonly box: PlannedBox;
}

/** State shared by the defects of one plan: seq counters and the simulated end of time. */
export class DefectFactory {
  private readonly nextSeq = new Map<string, number>();
  private readonly keys = new Map<string, BoxKey>();

  constructor(
    private readonly fleet: FleetPlan,
    private readonly random: SeededRandom,
    private readonly endAtMs: number,
  ) {}

  build(reason: DefectReason, source: DefectSource): DefectMessage {
    const { event, box } = source;
    const own = { privateKey: box.privateKey, keyId: box.keyId };
    switch (reason) {
      case "bad_signature": {
        const tampered = { ...this.altered(event), sig: event.sig };
        return this.message(reason, box, tampered, json(tampered), event.id, `copy of ${event.id} changed after signing`);
      }
      case "wrong_key": {
        const rogue = this.key("rogue", box.box);
        const body = signWithKey(this.fresh(event, box.box), rogue);
        return this.message(reason, box, body, json(body), null, `new event signed with key ${rogue.keyId}, not ${box.keyId}`);
      }
      case "invalid_json": {
        const text = json(signWithKey(this.fresh(event, box.box), own)).toString("utf8");
        const cut = this.random.int(20, text.length - 20);
        return this.message(reason, box, null, Buffer.from(text.slice(0, cut), "utf8"), null, `signed event truncated after ${cut} of ${text.length} bytes`);
      }
      case "unsupported_version": {
        const body = signWithKey({ ...this.fresh(event, box.box), v: 2 }, own);
        return this.message(reason, box, null, json(body), null, "event claims protocol version 2");
      }
      case "unknown_field": {
        const body = signWithKey({ ...this.fresh(event, box.box), debug: { firmware: "2.4.0-dev", trace: true } }, own);
        return this.message(reason, box, null, json(body), null, "event carries an extra top-level field `debug`");
      }
      case "schema_invalid": {
        const fresh = this.fresh(event, box.box);
        const body = signWithKey({ ...fresh, seq: String(fresh.seq) }, own);
        return this.message(reason, box, null, json(body), null, "seq is a string");
      }
      case "payload_too_large": {
        const body = { ...signWithKey(this.fresh(event, box.box), own), snapshot: Buffer.from(this.random.bytes(18_000)).toString("base64url") };
        return this.message(reason, box, null, json(body), null, "event with an embedded 18 kB snapshot (limit 16 KiB)");
      }
      case "unknown_box": {
        const stranger = `${box.site}-X01`;
        const key = this.key("unregistered", stranger);
        const body = signWithKey({ ...this.fresh(event, stranger), box: stranger }, key);
        const truth = this.truth(reason, { site: box.site, box: stranger }, body, null, `signed by ${stranger}, which is not registered`);
        return { topic: boxTopic("events", { site: box.site, box: stranger }), payload: json(body), truth };
      }
      case "replay_conflict": {
        const body = signWithKey(this.altered(event), own);
        return this.message(reason, box, body, json(body), event.id, `id ${event.id} re-sent with a different, properly signed body`);
      }
      case "sequence_reuse": {
        const body = signWithKey({ ...this.fresh(event, box.box), seq: event.seq }, own);
        return this.message(reason, box, body, json(body), event.id, `new event reusing seq ${event.seq} of ${event.id}`);
      }
      case "clock_in_future": {
        const at = this.endAtMs + DAY_MS + this.random.int(0, 1_800_000);
        const body = signWithKey(this.fresh(event, box.box, at), own);
        return this.message(reason, box, body, json(body), null, "event dated a day after the end of the simulated period");
      }
    }
  }

  private key(purpose: "rogue" | "unregistered", box: string): BoxKey {
    const name = `${purpose}|${box}`;
    const known = this.keys.get(name) ?? deriveBoxKey(this.fleet.seed, purpose, box);
    this.keys.set(name, known);
    return known;
  }

  /** A new event like `event`: fresh id, a defect seq, a little later (or at `at`). */
  private fresh(event: EventMessage, box: string, at?: number): Omit<EventMessage, "sig"> {
    const when = at ?? Date.parse(event.clock.at) + this.random.int(1_000, 300_000);
    const seq = (this.nextSeq.get(box) ?? (box === event.box ? DEFECT_SEQ_BASE : 0)) + 1;
    this.nextSeq.set(box, seq);
    return { ...unsigned(event), id: mintEventId(this.random, when), seq, clock: { ...event.clock, at: chinaTimestamp(when) } };
  }

  /** The same event with another person as subject (or, without one, another clock drift). */
  private altered(event: EventMessage): Omit<EventMessage, "sig"> {
    const body = unsigned(event);
    const others = [...this.fleet.dialysisPatients, ...this.fleet.inpatients].filter((person) => person.ref !== event.subject.ref);
    if (event.subject.ref === null || others.length === 0) {
      return { ...body, clock: { ...event.clock, driftMs: (event.clock.driftMs ?? 0) + this.random.int(1, 999) } };
    }
    const other = this.random.pick(others);
    return { ...body, subject: { ...event.subject, ref: other.ref, masked: other.masked } };
  }

  private message(reason: DefectReason, box: PlannedBox, body: IdAndSeq | null, payload: Buffer, copies: string | null, detail: string): DefectMessage {
    return { topic: boxTopic("events", box), payload, truth: this.truth(reason, box, body, copies, detail) };
  }

  private truth(reason: DefectReason, where: { site: string; box: string }, body: IdAndSeq | null, copies: string | null, detail: string): DefectTruth {
    const ackable = ACKABLE_DEFECTS.has(reason);
    return {
      type: "defect",
      reason,
      site: where.site,
      box: where.box,
      ackable,
      id: ackable && body ? body.id : null,
      seq: ackable && body ? body.seq : null,
      copies,
      detail,
    };
  }
}

function unsigned(event: EventMessage): Omit<EventMessage, "sig"> {
  const copy: Partial<EventMessage> = { ...event };
  delete copy.sig;
  return copy as Omit<EventMessage, "sig">;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}
