import { maskIdNumber } from "../../protocol/index.js";
import type { KioskScreen } from "../ports.js";

/**
 * Defence in depth for the screen: KioskPerson carries masked values only, but a flow bug or a
 * driver message that slipped a raw number into a screen must still not reach a display in a
 * corridor. Every string of a screen is scanned for ID-number shapes — resident ID and residence
 * permit (18: 17 digits + check digit or X, GB 11643-1999), first-generation resident ID (15 digits),
 * 2017 foreign permanent resident (3 letters + 12 digits) — and any hit is replaced by its masked form.
 */
export const ID_NUMBER_SHAPE = /(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15}|[A-Z]{3}\d{12})(?![0-9A-Za-z])/g;

export function redactIdNumbers(text: string): string {
  return text.replace(ID_NUMBER_SHAPE, (hit) => maskIdNumber(hit));
}

function redactValue(value: unknown): unknown {
  if (typeof value === "string") return redactIdNumbers(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactValue(inner)]));
  }
  return value;
}

/** The same screen with every ID-number shape masked (a copy; the input is not changed). */
export function redactScreen(screen: KioskScreen): KioskScreen {
  return redactValue(screen) as KioskScreen;
}
