import { maskIdNumber, personRef } from "../../protocol/index.js";
import { deriveBoxKey, derivePseudonymKey, type BoxKey } from "./box-keys.js";
import { FleetOptions, type FleetOptionsInput } from "./simulation-options.js";
import { SeededRandom } from "./seeded-random.js";
import { REGIONS, syntheticIdentity, type IdentityRequest, type SyntheticIdentity } from "./synthetic-identities.js";

/**
 * The simulated deployment: institutions, their boxes (with keys), staff and patients. Pure and
 * seeded; it holds raw ID numbers and names because billing fixtures need them, but the traffic built
 * from it carries only pseudonym refs and masked numbers.
 */

export type BoxRole = "dialysis_station" | "ward_round";
export type StaffRole = "nurse" | "doctor" | "inspector";
export type DialysisSchedule = "mon_wed_fri" | "tue_thu_sat";
export type DialysisShift = "morning" | "afternoon" | "evening";

export const DIALYSIS_SCHEDULES: readonly DialysisSchedule[] = ["mon_wed_fri", "tue_thu_sat"];
export const DIALYSIS_SHIFTS: readonly DialysisShift[] = ["morning", "afternoon", "evening"];

export interface PlannedPerson extends SyntheticIdentity {
  /** Stable id inside the plan (never on the wire). */
  readonly personId: string;
  readonly site: string;
  /** personRef(idNumber, pseudonymKey): how the wire names this person. */
  readonly ref: string;
  readonly masked: string;
}

export interface PlannedStaff extends PlannedPerson {
  readonly role: StaffRole;
}

export interface DialysisPatient extends PlannedPerson {
  readonly box: string;
  readonly station: string;
  readonly schedule: DialysisSchedule;
  readonly shift: DialysisShift;
}

export interface Inpatient extends PlannedPerson {
  readonly box: string;
  readonly ward: string;
  readonly bed: string;
}

export interface PlannedBox extends BoxKey {
  readonly box: string;
  readonly site: string;
  readonly role: BoxRole;
  /** Station id of a dialysis box, ward of a ward-round box: the `location` sent at registration. */
  readonly location: string;
  /** Dialysis room of a station; null for ward boxes. */
  readonly room: string | null;
  /** Beds of the ward (ward boxes only; empty for stations). */
  readonly beds: readonly string[];
}

export interface PlannedSite {
  readonly site: string;
  /** Designated-institution code as billing exports carry it (H + region + 5 digits). */
  readonly institutionCode: string;
  readonly region: string;
  readonly regionName: string;
}

export interface FleetPlan {
  readonly seed: string;
  readonly pseudonymKey: Uint8Array;
  readonly pseudonymKeyId: string;
  readonly sites: readonly PlannedSite[];
  readonly boxes: readonly PlannedBox[];
  readonly staff: readonly PlannedStaff[];
  readonly dialysisPatients: readonly DialysisPatient[];
  readonly inpatients: readonly Inpatient[];
}

/** Ages are counted from this year, so the plan does not change with the date it is made on. */
const REFERENCE_YEAR = 2026;
const WARD_DEPARTMENTS = ["NEPH", "CARD", "RESP", "GERI", "ORTH", "GAST", "NEUR", "ENDO"] as const;
const STATIONS_PER_ROOM = 8;

export function planFleet(input: FleetOptionsInput): FleetPlan {
  const options = FleetOptions.parse(input);
  const root = SeededRandom.fromSeed(options.seed);
  const pseudonymKey = options.pseudonymKey ?? derivePseudonymKey(options.seed);
  const taken = new Set<string>();
  const people = (site: PlannedSite, random: SeededRandom, request: Omit<IdentityRequest, "region" | "referenceYear">) => {
    let count = 0;
    return (kind: string): PlannedPerson => {
      const identity = syntheticIdentity(random, { ...request, region: site.region, referenceYear: REFERENCE_YEAR }, taken);
      count += 1;
      return {
        ...identity,
        personId: `${site.site}/${kind}-${String(count).padStart(4, "0")}`,
        site: site.site,
        ref: personRef(identity.idNumber, pseudonymKey),
        masked: maskIdNumber(identity.idNumber),
      };
    };
  };

  const sites = planSites(options.sites, options.siteIdPrefix);
  const boxes: PlannedBox[] = [];
  const staff: PlannedStaff[] = [];
  const dialysisPatients: DialysisPatient[] = [];
  const inpatients: Inpatient[] = [];
  for (const site of sites) {
    const random = root.fork(`fleet|${site.site}`);
    const newStaff = people(site, random.fork("staff"), { minAge: 23, maxAge: 60, cardMix: "resident_only" });
    for (const [role, count] of staffCounts(options.stationsPerSite, options.wardsPerSite)) {
      for (let i = 0; i < count; i++) staff.push({ ...newStaff("S"), role });
    }

    const newDialysisPatient = people(site, random.fork("dialysis"), { minAge: 28, maxAge: 88, cardMix: "patients" });
    for (let n = 1; n <= options.stationsPerSite; n++) {
      const station = `HD-${String(n).padStart(2, "0")}`;
      const box = `${site.site}-D${String(n).padStart(2, "0")}`;
      const room = `HD-ROOM-${String.fromCharCode(65 + Math.floor((n - 1) / STATIONS_PER_ROOM) % 26)}`;
      boxes.push({ box, site: site.site, role: "dialysis_station", location: station, room, beds: [], ...deriveBoxKey(options.seed, "box", box) });
      for (const schedule of DIALYSIS_SCHEDULES) {
        for (const shift of DIALYSIS_SHIFTS) {
          if (!random.chance(options.stationOccupancy)) continue;
          dialysisPatients.push({ ...newDialysisPatient("HD"), box, station, schedule, shift });
        }
      }
    }

    const newInpatient = people(site, random.fork("inpatients"), { minAge: 18, maxAge: 95, cardMix: "patients" });
    for (let n = 1; n <= options.wardsPerSite; n++) {
      const department = WARD_DEPARTMENTS[(n - 1) % WARD_DEPARTMENTS.length] ?? "GEN";
      const ward = `${department}-${Math.floor((n - 1) / WARD_DEPARTMENTS.length) + 1}`;
      const box = `${site.site}-W${String(n).padStart(2, "0")}`;
      const beds = Array.from({ length: options.bedsPerWard }, (_, i) => String(i + 1).padStart(2, "0"));
      boxes.push({ box, site: site.site, role: "ward_round", location: ward, room: null, beds, ...deriveBoxKey(options.seed, "box", box) });
      for (const bed of beds) {
        if (random.chance(options.bedOccupancy)) inpatients.push({ ...newInpatient("IP"), box, ward, bed });
      }
    }
  }
  return { seed: options.seed, pseudonymKey, pseudonymKeyId: options.pseudonymKeyId, sites, boxes, staff, dialysisPatients, inpatients };
}

/** Site ids `{prefix}{region}-{nn}`, cycling through the region table. */
function planSites(count: number, prefix: string): PlannedSite[] {
  return Array.from({ length: count }, (_, index) => {
    const region = REGIONS[index % REGIONS.length] ?? REGIONS[0];
    const ordinal = Math.floor(index / REGIONS.length) + 1;
    return {
      site: `${prefix}${region.code}-${String(ordinal).padStart(2, "0")}`,
      institutionCode: `H${region.code}${String(ordinal).padStart(5, "0")}`,
      region: region.code,
      regionName: region.name,
    };
  });
}

/** A dialysis unit needs about one nurse per four stations; a ward three nurses and a doctor per shift pattern. */
function staffCounts(stations: number, wards: number): [StaffRole, number][] {
  return [
    ["nurse", Math.ceil(stations / 4) + 3 * wards + 1],
    ["doctor", (stations > 0 ? 1 : 0) + wards + 1],
    ["inspector", 2],
  ];
}

/** Staff of one site in one role, in plan order. */
export function staffOf(fleet: FleetPlan, site: string, roles: readonly StaffRole[]): PlannedStaff[] {
  return fleet.staff.filter((person) => person.site === site && roles.includes(person.role));
}
