import type { AlertFilter, BilledItemFilter, EventFilter, QuarantineFilter } from "./gateway-store.js";
import { type PagePosition } from "./page-cursor.js";
import { ALERT_COLUMNS, BILLED_ITEM_COLUMNS, EVENT_COLUMNS, QUARANTINE_COLUMNS } from "./store-rows.js";

/**
 * The listing queries (filters, keyset pages, counts) as SQL text shared by both stores: the two
 * schemas use the same names, and only the parameter placeholders differ (`?` vs `$1`). Filter
 * values always travel as parameters; only fixed column names are spliced into the text.
 */

export type SqlValue = string | number;
export type Placeholder = (position: number) => string;
export const SQLITE_PLACEHOLDER: Placeholder = () => "?";
export const PG_PLACEHOLDER: Placeholder = (position) => `$${position}`;

export interface SqlText {
  readonly text: string;
  readonly values: readonly SqlValue[];
}

/** A column compared with a filter value; skipped when the filter leaves the value out. */
type Condition = readonly [column: string, operator: "=" | ">=" | "<", value: SqlValue | undefined];

/** A listing: a table read newest first by (timeColumn desc, id desc). */
export interface Listing {
  readonly table: string;
  readonly columns: string;
  readonly timeColumn: string;
  readonly conditions: readonly Condition[];
}

export function eventListing(filter: EventFilter): Listing {
  return {
    table: "events",
    columns: EVENT_COLUMNS,
    timeColumn: "occurred_at",
    conditions: [
      ["site", "=", filter.site],
      ["box", "=", filter.box],
      ["kind", "=", filter.kind],
      ["outcome", "=", filter.outcome],
      ["subject_ref", "=", filter.subjectRef],
      ["occurred_at", ">=", filter.from],
      ["occurred_at", "<", filter.to],
    ],
  };
}

export function quarantineListing(filter: QuarantineFilter): Listing {
  return {
    table: "quarantine",
    columns: QUARANTINE_COLUMNS,
    timeColumn: "received_at",
    conditions: [
      ["site", "=", filter.site],
      ["box", "=", filter.box],
      ["reason", "=", filter.reason],
      ["step", "=", filter.step],
      ["received_at", ">=", filter.from],
      ["received_at", "<", filter.to],
    ],
  };
}

export function alertListing(filter: AlertFilter): Listing {
  return {
    table: "alerts",
    columns: ALERT_COLUMNS,
    timeColumn: "raised_at",
    conditions: [
      ["site", "=", filter.site],
      ["kind", "=", filter.kind],
      ["raised_at", ">=", filter.from],
      ["raised_at", "<", filter.to],
    ],
  };
}

export function billedItemListing(filter: BilledItemFilter): Listing {
  return {
    table: "billed_items",
    columns: BILLED_ITEM_COLUMNS,
    timeColumn: "service_at",
    conditions: [
      ["institution", "=", filter.institution],
      ["patient_ref", "=", filter.patientRef],
      ["category", "=", filter.category],
      ["service_at", ">=", filter.from],
      ["service_at", "<", filter.to],
    ],
  };
}

/** One page: limit + 1 rows, so toPage can tell whether another page follows. */
export function pageSql(listing: Listing, after: PagePosition | undefined, limit: number, placeholder: Placeholder): SqlText {
  const values: SqlValue[] = [];
  const clauses = conditionClauses(listing.conditions, placeholder, values);
  if (after !== undefined) {
    values.push(after.at, after.id);
    // A row-value comparison, so both engines can seek the (time, id) index instead of filtering.
    clauses.push(`(${listing.timeColumn}, id) < (${placeholder(values.length - 1)}, ${placeholder(values.length)})`);
  }
  values.push(limit + 1);
  const text =
    `SELECT ${listing.columns} FROM ${listing.table}${whereOf(clauses)} ` +
    `ORDER BY ${listing.timeColumn} DESC, id DESC LIMIT ${placeholder(values.length)}`;
  return { text, values };
}

export function countSql(listing: Listing, placeholder: Placeholder): SqlText {
  const values: SqlValue[] = [];
  const clauses = conditionClauses(listing.conditions, placeholder, values);
  return { text: `SELECT count(*) AS count FROM ${listing.table}${whereOf(clauses)}`, values };
}

/** Quarantine by reason and step: distinct messages and deliveries (a message counts each re-delivery). */
export function quarantineCountSql(filter: QuarantineFilter, placeholder: Placeholder): SqlText {
  const values: SqlValue[] = [];
  const clauses = conditionClauses(quarantineListing(filter).conditions, placeholder, values);
  const text =
    `SELECT reason, step, count(*) AS messages, sum(occurrences) AS occurrences FROM quarantine${whereOf(clauses)} ` +
    `GROUP BY reason, step ORDER BY reason, step`;
  return { text, values };
}

export function conditionClauses(conditions: readonly Condition[], placeholder: Placeholder, values: SqlValue[]): string[] {
  const clauses: string[] = [];
  for (const [column, operator, value] of conditions) {
    if (value === undefined) continue;
    values.push(value);
    clauses.push(`${column} ${operator} ${placeholder(values.length)}`);
  }
  return clauses;
}

function whereOf(clauses: readonly string[]): string {
  return clauses.length === 0 ? "" : ` WHERE ${clauses.join(" AND ")}`;
}
