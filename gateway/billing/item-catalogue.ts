/**
 * The medical-service item catalogue: which billed item codes are dialysis sessions, bed-days or
 * other items, and the per-item limits the reconciliation rules use. Codes differ by province and
 * catalogue version (billing-format.md), so the defaults below are a starting point the deployment
 * overrides with its own catalogue; they are not verified against any province's price standard.
 */
export const ITEM_CATEGORIES = ["haemodialysis", "haemofiltration", "haemodiafiltration", "bed_day", "other"] as const;
export type ItemCategory = (typeof ITEM_CATEGORIES)[number];

export const DIALYSIS_CATEGORIES: readonly ItemCategory[] = ["haemodialysis", "haemofiltration", "haemodiafiltration"];

export function isDialysis(category: ItemCategory): boolean {
  return DIALYSIS_CATEGORIES.includes(category);
}

export interface CatalogueEntry {
  /** An exact item code, or a prefix ending in `*` (the bed-fee group `1109*`). */
  readonly code: string;
  readonly category: ItemCategory;
  /** Shortest plausible session (D3); null where it does not apply. */
  readonly minDurationMinutes: number | null;
  /** Most sessions in a rolling 7 days (D5); null where it does not apply. */
  readonly maxPer7Days: number | null;
}

export const DEFAULT_CATALOGUE: readonly CatalogueEntry[] = [
  { code: "311000006", category: "haemodialysis", minDurationMinutes: 180, maxPer7Days: 3 },
  { code: "311000007", category: "haemofiltration", minDurationMinutes: 180, maxPer7Days: 3 },
  { code: "311000008", category: "haemodiafiltration", minDurationMinutes: 180, maxPer7Days: 3 },
  { code: "1109*", category: "bed_day", minDurationMinutes: null, maxPer7Days: null },
];

export interface ItemCatalogue {
  lookup(code: string): CatalogueEntry | null;
}

/** Exact codes win over prefixes; among prefixes the longest wins. */
export function itemCatalogue(entries: readonly CatalogueEntry[] = DEFAULT_CATALOGUE): ItemCatalogue {
  const exact = new Map<string, CatalogueEntry>();
  const prefixes: CatalogueEntry[] = [];
  for (const entry of entries) {
    if (entry.code.endsWith("*")) prefixes.push(entry);
    else exact.set(entry.code, entry);
  }
  prefixes.sort((a, b) => b.code.length - a.code.length);
  return {
    lookup(code) {
      return exact.get(code) ?? prefixes.find((p) => code.startsWith(p.code.slice(0, -1))) ?? null;
    },
  };
}
