import { describe, expect, it } from "vitest";
import { checkLimit, decodeCursor, encodeCursor, toPage } from "./page-cursor.js";
import { StoreError } from "./store-error.js";

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof StoreError) return error.code;
    throw error;
  }
  return undefined;
}

describe("page cursor", () => {
  it("round-trips a position with a text id and with an integer id", () => {
    expect(decodeCursor(encodeCursor({ at: 1_700_000_000_123, id: "evt-1" }), "text")).toEqual({
      at: 1_700_000_000_123,
      id: "evt-1",
    });
    expect(decodeCursor(encodeCursor({ at: 5, id: 42 }), "integer")).toEqual({ at: 5, id: 42 });
  });

  it("rejects a cursor that is not base64url JSON, or names the wrong kind of id", () => {
    expect(codeOf(() => decodeCursor("%%%", "text"))).toBe("invalid_cursor");
    expect(codeOf(() => decodeCursor(Buffer.from("{").toString("base64url"), "text"))).toBe("invalid_cursor");
    expect(codeOf(() => decodeCursor(encodeCursor({ at: 5, id: "x" }), "integer"))).toBe("invalid_cursor");
    expect(codeOf(() => decodeCursor(encodeCursor({ at: 5, id: 7 }), "text"))).toBe("invalid_cursor");
  });

  it("accepts only positive integer limits", () => {
    expect(codeOf(() => { checkLimit(1); })).toBeUndefined();
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(codeOf(() => { checkLimit(bad); })).toBe("invalid_limit");
  });

  it("gives a next cursor only when the query found more rows than the page holds", () => {
    const rows = [3, 2, 1].map((n) => ({ at: n, id: `r${n}` }));
    const full = toPage(rows, 2, (row) => row);
    expect(full.items).toEqual(rows.slice(0, 2));
    expect(full.nextCursor).not.toBeNull();
    expect(decodeCursor(full.nextCursor ?? "", "text")).toEqual({ at: 2, id: "r2" });
    expect(toPage(rows, 3, (row) => row).nextCursor).toBeNull();
  });
});
