import type { RosterEntry } from "../../firmware-config/box-settings.js";
import type { KioskPerson } from "../ports.js";
import type { BedRef } from "./flow-types.js";

/**
 * Beds of a ward round: the roster the gateway sends in the box's configuration, a bed's printed
 * code as the scanner reads it, and whether a moment falls in the night-round window.
 */

/** The beds of the box's ward (all beds when the box has no ward), with their occupants masked. */
export function bedsOf(roster: readonly RosterEntry[], ward: string | null): { ward: string; beds: { bed: string; person: KioskPerson | null }[] } {
  const entries = roster.filter((entry) => ward === null || entry.ward === ward);
  return {
    ward: ward ?? entries[0]?.ward ?? "",
    beds: entries.map((entry) => ({
      bed: entry.bed,
      person: entry.occupant?.masked != null ? { maskedName: "*", maskedId: entry.occupant.masked } : null,
    })),
  };
}

export function rosterEntryOf(roster: readonly RosterEntry[], bed: BedRef): RosterEntry | undefined {
  return roster.find((entry) => entry.ward === bed.ward && entry.bed === bed.bed);
}

const BED_CODE = /^(?:BED:)?([^/\s]{1,64})\/([^/\s]{1,32})$/;

/** `{ward}/{bed}` or `BED:{ward}/{bed}`; null for anything else (a scanned code is untrusted input). */
export function parseBedCode(code: string): BedRef | null {
  const match = BED_CODE.exec(code.trim());
  if (match === null) return null;
  const [, ward, bed] = match;
  return ward === undefined || bed === undefined ? null : { ward, bed };
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Whether `at` falls in [from, to) of the night window in the box's local time (the window may span midnight). */
export function isNight(at: number, window: { readonly from: string; readonly to: string }, utcOffsetMin: number): boolean {
  const local = Math.floor(((at / 60_000 + utcOffsetMin) % 1440 + 1440) % 1440);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  return from <= to ? local >= from && local < to : local >= from || local < to;
}
