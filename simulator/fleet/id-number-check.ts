/**
 * The check character of 18-character Chinese ID numbers: ISO 7064 MOD 11-2 as fixed by GB 11643-1999.
 * The same check closes the resident ID number, the Hong Kong / Macau / Taiwan residence permit number
 * (same layout, region 810000 / 820000 / 830000) and the 2023 foreign permanent resident ID number.
 *
 * Weight of position i (0-based, 17 digits) is 2^(17 - i) mod 11: 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
 * The check value is (12 - sum mod 11) mod 11, written with `X` for 10, which is the standard's table
 * sum mod 11 = 0..10 → 1 0 X 9 8 7 6 5 4 3 2.
 */
const WEIGHTS = Array.from({ length: 17 }, (_, i) => 2 ** (17 - i) % 11);

/** The check character for 17 leading digits. */
export function mod11_2CheckCharacter(first17: string): string {
  if (!/^[0-9]{17}$/.test(first17)) throw new RangeError(`expected 17 digits, got ${JSON.stringify(first17)}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] ?? 0);
  const check = (12 - (sum % 11)) % 11;
  return check === 10 ? "X" : String(check);
}

/** True when `idNumber` is 17 digits followed by the matching check character. */
export function hasValidCheckCharacter(idNumber: string): boolean {
  if (!/^[0-9]{17}[0-9X]$/.test(idNumber)) return false;
  return mod11_2CheckCharacter(idNumber.slice(0, 17)) === idNumber.slice(17);
}

/** A resident ID number: valid check character and a real calendar date in positions 7–14. */
export function isValidResidentIdNumber(idNumber: string): boolean {
  if (!hasValidCheckCharacter(idNumber)) return false;
  const year = Number(idNumber.slice(6, 10));
  const month = Number(idNumber.slice(10, 12));
  const day = Number(idNumber.slice(12, 14));
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1850 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
