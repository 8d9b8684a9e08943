/**
 * The mainland resident ID number (GB 11643-1999): 17 digits (6 region, 8 birth date, 3 sequence)
 * and a check character computed with ISO 7064 MOD 11-2 (protocol/id-number-check.ts). The birth-date
 * rule here is the billing import's own: it reports which part of a row's number is wrong.
 */
import { mod11_2CheckCharacter } from "../../protocol/id-number-check.js";

export type ResidentIdProblem = "format" | "birth_date" | "checksum";

/** The ISO 7064 MOD 11-2 check character for the first 17 digits (the contract's one implementation). */
export function residentIdCheckChar(first17: string): string {
  return mod11_2CheckCharacter(first17.slice(0, 17)) ?? "";
}

/**
 * Checks an already normalised (NFKC, upper-case) 18-character resident ID number; null when valid.
 * The birth date must be a real calendar date, which catches most transpositions the check digit
 * alone would let through only one time in eleven.
 */
export function residentIdProblem(normalised: string): ResidentIdProblem | null {
  if (!/^\d{17}[\dX]$/.test(normalised)) return "format";
  const year = Number(normalised.slice(6, 10));
  const month = Number(normalised.slice(10, 12));
  const day = Number(normalised.slice(12, 14));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1880 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return "birth_date";
  return residentIdCheckChar(normalised) === normalised.charAt(17) ? null : "checksum";
}
