import { checkMod11_2, checkResidentIdNumber, mod11_2CheckCharacter as checkCharacter } from "../../protocol/id-number-check.js";

/**
 * The simulator's view of GB 11643-1999 ID numbers, over the one implementation in
 * protocol/id-number-check.ts: it makes numbers, so a bad prefix is a bug (thrown), not input.
 */
export function mod11_2CheckCharacter(first17: string): string {
  const check = checkCharacter(first17);
  if (check === undefined) throw new RangeError(`expected 17 digits, got ${JSON.stringify(first17)}`);
  return check;
}

/** True when `idNumber` is 17 digits followed by the matching check character. */
export function hasValidCheckCharacter(idNumber: string): boolean {
  return checkMod11_2(idNumber).ok;
}

/** A resident ID number: valid check character and a real calendar date in positions 7–14. */
export function isValidResidentIdNumber(idNumber: string): boolean {
  return checkResidentIdNumber(idNumber).ok;
}
