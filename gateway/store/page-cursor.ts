import { z } from "zod";
import { StoreError } from "./store-error.js";

/**
 * Keyset pagination: a page ends at the (time, id) of its last row, and the next page starts strictly
 * after it in the listing's order (time desc, id desc). Unlike OFFSET, rows inserted while a client
 * pages through never shift a row into the next page twice or out of it. The cursor is that pair as
 * base64url JSON: opaque to clients, but not secret (it holds nothing the page did not show).
 */
export interface PagePosition {
  readonly at: number;
  readonly id: string | number;
}

const TextPosition = z.tuple([z.number().int(), z.string().min(1)]);
const IntegerPosition = z.tuple([z.number().int(), z.number().int()]);

export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id]), "utf8").toString("base64url");
}

/** Reads a cursor issued by encodeCursor for a listing whose ids are text or integers. */
export function decodeCursor(cursor: string, idType: "text" | "integer"): PagePosition {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new StoreError("invalid_cursor", "page cursor is not base64url JSON");
  }
  const parsed = (idType === "text" ? TextPosition : IntegerPosition).safeParse(json);
  if (!parsed.success) throw new StoreError("invalid_cursor", "page cursor does not name a position in this listing");
  const [at, id] = parsed.data;
  return { at, id };
}

export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new StoreError("invalid_limit", `limit must be a positive integer, got ${limit}`);
  }
}

/** Turns the limit + 1 rows a page query fetched into a page: the extra row only says there is more. */
export function toPage<T>(rows: readonly T[], limit: number, positionOf: (item: T) => PagePosition) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null;
  return { items, nextCursor };
}
