import type { KeyObject } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { PROTOCOL_VERSION, signEvent, type EventMessage, type UnsignedEvent } from "../../protocol/index.js";
import type { EventDraft } from "../flows/flow-types.js";

/**
 * A flow's event draft made into the signed contract event: id (UUIDv7), the box's sequence number,
 * its clock reading with its UTC offset, the station, and the Ed25519 signature with the box key.
 */
export interface CheckEventContext {
  readonly site: string;
  readonly box: string;
  readonly seq: number;
  readonly at: number;
  readonly utcOffsetMin: number;
  readonly clockSync: EventMessage["clock"]["sync"];
  readonly driftMs: number | null;
  readonly station: { readonly id: string; readonly room: string | null };
  readonly evidence: EventMessage["evidence"];
  readonly signingKey: KeyObject;
}

/** RFC 3339 with the box's own offset, e.g. 2026-11-25T10:00:00.000+08:00. */
export function localTimestamp(at: number, utcOffsetMin: number): string {
  const shifted = new Date(at + utcOffsetMin * 60_000).toISOString().slice(0, -1);
  if (utcOffsetMin === 0) return `${shifted}Z`;
  const sign = utcOffsetMin > 0 ? "+" : "-";
  const abs = Math.abs(utcOffsetMin);
  return `${shifted}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

export function signedCheckEvent(draft: EventDraft, context: CheckEventContext): EventMessage {
  const common = {
    v: PROTOCOL_VERSION,
    id: uuidv7({ msecs: context.at }),
    site: context.site,
    box: context.box,
    seq: context.seq,
    clock: { at: localTimestamp(context.at, context.utcOffsetMin), sync: context.clockSync, driftMs: context.driftMs },
    subject: draft.subject,
    verification: draft.verification,
    evidence: context.evidence,
  };
  const unsigned: UnsignedEvent =
    draft.kind === "dialysis.check_in"
      ? { kind: draft.kind, ...common, station: context.station }
      : draft.kind === "dialysis.check_out"
        ? { kind: draft.kind, ...common, station: context.station, checkInId: draft.checkInId }
        : draft.kind === "ward.bedside_check"
          ? { kind: draft.kind, ...common, bed: draft.bed, round: draft.round }
          : { kind: draft.kind, ...common, enrolment: draft.enrolment };
  return signEvent(unsigned, context.signingKey);
}
