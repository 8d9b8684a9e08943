/**
 * The mainland resident ID number (GB 11643-1999): 17 digits (6 region, 8 birth date, 3 sequence)
 * and a check character computed with ISO 7064 MOD 11-2. Written here rather than imported from the
 * device's card codec because gateway/ and device/ never import each other (STYLE.md).
 */

/** Weights 2^(17-i) mod 11 for positions 0..16 (GB 11643-1999 §6). */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** Check character for (sum mod 11) = index. */
const CHECK_CHARS = "10X98765432";

export type ResidentIdProblem = "format" | "birth_date" | "checksum";

/** The ISO 7064 MOD 11-2 check character for the first 17 digits. */
export function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17.charAt(i)) * (WEIGHTS[i] ?? 0);
  return CHECK_CHARS.charAt(sum % 11);
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
