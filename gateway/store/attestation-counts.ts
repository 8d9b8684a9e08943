import type { EventFilter } from "./gateway-store.js";
import { conditionClauses, eventListing, type Placeholder, type SqlText, type SqlValue } from "./filter-sql.js";

/**
 * Nurse attestations counted per institution, attesting member of staff and reason: supervisors
 * watch for a nurse or a hospital that attests far more than its peers (issue 6, fallback). Read
 * from the stored events' bodies (few: only `attested` outcomes), aggregated the same way by both
 * stores.
 */
/** Institution and check-time window, as events are filtered. */
export type AttestationFilter = Pick<EventFilter, "site" | "from" | "to">;

export interface AttestationCount {
  readonly site: string;
  /** Pseudonymous reference of the attesting nurse or doctor. */
  readonly staffRef: string;
  readonly reason: string;
  readonly count: number;
}

export interface AttestedEventRow {
  readonly site: string;
  readonly body: string;
}

export function attestedEventsSql(filter: AttestationFilter, placeholder: Placeholder): SqlText {
  const values: SqlValue[] = [];
  const clauses = conditionClauses(eventListing({ ...filter, outcome: "attested" }).conditions, placeholder, values);
  return { text: `SELECT site, body FROM events WHERE ${clauses.join(" AND ")}`, values };
}

export function attestationCountsOf(rows: readonly AttestedEventRow[]): AttestationCount[] {
  const counts = new Map<string, AttestationCount>();
  for (const row of rows) {
    const attestation = attestationOf(row.body);
    if (attestation === null) continue;
    const key = `${row.site}\u0000${attestation.staffRef}\u0000${attestation.reason}`;
    const seen = counts.get(key);
    counts.set(key, { site: row.site, staffRef: attestation.staffRef, reason: attestation.reason, count: (seen?.count ?? 0) + 1 });
  }
  return [...counts.values()].sort((a, b) => compare(a.site, b.site) || b.count - a.count || compare(a.staffRef, b.staffRef) || compare(a.reason, b.reason));
}

function attestationOf(body: string): { staffRef: string; reason: string } | null {
  try {
    const attestation = (JSON.parse(body) as { verification?: { attestation?: { staffRef?: unknown; reason?: unknown } | null } }).verification?.attestation;
    if (attestation === null || attestation === undefined) return null;
    return typeof attestation.staffRef === "string" && typeof attestation.reason === "string" ? { staffRef: attestation.staffRef, reason: attestation.reason } : null;
  } catch {
    return null;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
