/**
 * ISO 7064 MOD 11-2, the check character of 18-character numbers under GB 11643-1999: the resident
 * ID number, the Hong Kong / Macau / Taiwan residence permit number (regions 810000 / 820000 /
 * 830000) and the 2023 foreign permanent resident ID number (idcard-protocol.md, "ID number", [2]).
 *
 * Weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 are 2^(17-i) mod 11; sum mod 11 = 0..10 maps to
 * 1 0 X 9 8 7 6 5 4 3 2, i.e. (12 - sum mod 11) mod 11 with X for 10.
 *
 * It lives in the contract because every part needs it: the reader validates cards, the gateway
 * validates billing rows, the simulator makes valid numbers — one implementation for all three.
 */
const WEIGHTS: readonly number[] = Array.from({ length: 17 }, (_, i) => 2 ** (17 - i) % 11);

/** The check character for 17 leading digits, or undefined when they are not 17 digits. */
export function mod11_2CheckCharacter(first17: string): string | undefined {
  if (!/^[0-9]{17}$/.test(first17)) return undefined;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * (WEIGHTS[i] ?? 0);
  const check = (12 - (sum % 11)) % 11;
  return check === 10 ? "X" : String(check);
}

export type IdNumberProblem = "bad_format" | "bad_check_character" | "bad_birth_date" | "bad_region";

export type IdNumberCheck = { readonly ok: true } | { readonly ok: false; readonly problem: IdNumberProblem; readonly message: string };

const OK: IdNumberCheck = { ok: true };

/** 17 digits and the matching check character (lower-case x is not what cards carry, so it is rejected). */
export function checkMod11_2(idNumber: string): IdNumberCheck {
  if (!/^[0-9]{17}[0-9X]$/.test(idNumber)) return { ok: false, problem: "bad_format", message: "not 17 digits and a check character" };
  const expected = mod11_2CheckCharacter(idNumber.slice(0, 17));
  return expected === idNumber.slice(17) ? OK : { ok: false, problem: "bad_check_character", message: "check character does not match (ISO 7064 MOD 11-2)" };
}

/** True when YYYYMMDD names a real calendar day. */
export function isCalendarDate(yyyymmdd: string): boolean {
  if (!/^[0-9]{8}$/.test(yyyymmdd)) return false;
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1800 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Resident ID number: MOD 11-2 and a real birth date in positions 7–14. */
export function checkResidentIdNumber(idNumber: string): IdNumberCheck {
  const check = checkMod11_2(idNumber);
  if (!check.ok) return check;
  return isCalendarDate(idNumber.slice(6, 14)) ? OK : { ok: false, problem: "bad_birth_date", message: "positions 7-14 are not a calendar date" };
}

const PERMIT_REGIONS = ["810000", "820000", "830000"];

/** Residence permit number: the resident layout under region 810000 (HK), 820000 (Macau) or 830000 (Taiwan). */
export function checkResidencePermitNumber(idNumber: string): IdNumberCheck {
  const check = checkResidentIdNumber(idNumber);
  if (!check.ok) return check;
  return PERMIT_REGIONS.includes(idNumber.slice(0, 6)) ? OK : { ok: false, problem: "bad_region", message: "a residence permit number starts with 810000, 820000 or 830000" };
}

/** 2023 foreign permanent resident ID number: 18 characters starting with 9, MOD 11-2. */
export function checkForeignPermanentResident2023Number(idNumber: string): IdNumberCheck {
  const check = checkMod11_2(idNumber);
  if (!check.ok) return check;
  return idNumber.startsWith("9") ? OK : { ok: false, problem: "bad_region", message: "a 2023 foreign permanent resident number starts with 9" };
}

/**
 * 2017 foreign permanent resident card number: 3 letters (ISO 3166 alpha-3) and 12 digits. The
 * reference claims no check character for it, so only the format is checked.
 */
export function checkForeignPermanentResident2017Number(idNumber: string): IdNumberCheck {
  return /^[A-Z]{3}[0-9]{12}$/.test(idNumber) ? OK : { ok: false, problem: "bad_format", message: "not 3 letters and 12 digits" };
}
