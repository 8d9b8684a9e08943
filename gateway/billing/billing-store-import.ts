import { createHash } from "node:crypto";
import type { BilledItemRecord, GatewayStore } from "../store/gateway-store.js";
import type { BilledItem, BillingRejection } from "./billed-item.js";
import { chinaDayStart } from "./china-time.js";
import { importBilling, type BillingImportOptions } from "./billing-import.js";

/**
 * A billing import into the gateway's store: the streaming import, written in batches of
 * `batchSize` lines per transaction, so a file of any size lands with bounded memory. The store's
 * idempotency (same line id and body: duplicate) makes importing the same file twice change nothing.
 */
export function billedItemRecord(item: BilledItem, importedAt: number): BilledItemRecord {
  const body = JSON.stringify(item);
  return {
    id: `${item.institution}/${item.lineId}`,
    institution: item.institution,
    lineId: item.lineId,
    patientRef: item.patientRef,
    category: item.category,
    serviceAt: item.serviceStart ?? chinaDayStart(item.serviceDate),
    bodyHash: createHash("sha256").update(body).digest("hex"),
    body,
    importedAt,
  };
}

export interface StoreImportOptions extends BillingImportOptions {
  readonly batchSize?: number;
  /** Most rejections kept in the result (all are counted). */
  readonly maxRejectionsListed?: number;
  /** Only lines of this institution may land (a hospital importing its own export); others are rejected. */
  readonly institution?: string;
  readonly onProgress?: (rowsRead: number) => void;
  readonly now?: () => number;
}

export interface StoreImportResult {
  readonly encoding: string | null;
  readonly stored: number;
  /** Already stored with the same body, or repeated within the file. */
  readonly duplicates: number;
  /** Already stored with another body: the stored line stands (these rows are among `rejected` too). */
  readonly conflicts: number;
  readonly rejected: number;
  readonly rejections: readonly BillingRejection[];
}

export async function importBillingIntoStore(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  store: GatewayStore,
  options: StoreImportOptions,
): Promise<StoreImportResult> {
  const batchSize = options.batchSize ?? 1000;
  const maxListed = options.maxRejectionsListed ?? 10_000;
  const now = options.now ?? Date.now;
  const rejections: BillingRejection[] = [];
  let rejected = 0;
  let stored = 0;
  let duplicates = 0;
  let conflicts = 0;
  let rows = 0;
  let encoding: string | null = null;
  let pending: { record: BilledItemRecord; row: number; lineId: string }[] = [];

  const reject = (rejection: BillingRejection): void => {
    rejected += 1;
    if (rejections.length < maxListed) rejections.push(rejection);
  };
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const outcomes = await store.storeBilledItems(pending.map((p) => p.record));
    outcomes.forEach((outcome, i) => {
      const line = pending[i];
      if (outcome.result === "stored") stored += 1;
      else if (outcome.result === "duplicate") duplicates += 1;
      else {
        conflicts += 1;
        if (line !== undefined) reject({ code: "duplicate_line_conflict", row: line.row, column: "line_id", reason: outcome.detail, lineId: line.lineId });
      }
    });
    pending = [];
  };

  for await (const entry of importBilling(source, options)) {
    switch (entry.type) {
      case "header":
        encoding = entry.encoding;
        break;
      case "rejection":
        rows += 1;
        reject(entry.rejection);
        break;
      case "duplicate":
        rows += 1;
        duplicates += 1;
        break;
      case "item":
        rows += 1;
        if (options.institution !== undefined && entry.item.institution !== options.institution) {
          reject({ code: "invalid_value", row: entry.row, column: "institution_code", reason: `only lines of institution ${options.institution} may be imported here`, lineId: entry.item.lineId });
          break;
        }
        pending.push({ record: billedItemRecord(entry.item, now()), row: entry.row, lineId: entry.item.lineId });
        if (pending.length >= batchSize) await flush();
        break;
    }
    if (rows % 100_000 === 0 && rows > 0) options.onProgress?.(rows);
  }
  await flush();
  return { encoding, stored, duplicates, conflicts, rejected, rejections };
}
