import type { AlertCaseStore, AuditEntry } from "../store/alert-case-records.js";
import { AUDIT_GENESIS_HASH, auditEntryHash } from "../store/audit-hash.js";

/**
 * Verifies the audit log's hash chain (gateway/store/audit-hash.ts) and names the first broken link:
 * an edited entry no longer hashes to its stored hash; a deleted one leaves a gap in the sequence (or
 * a link to a hash that is not its predecessor's); reordered entries link to the wrong predecessor.
 * Truncating the newest entries cannot be seen from the chain alone: compare `head` with a copy
 * kept elsewhere (it is printed by `carewitness audit verify`).
 */
export type AuditBreak = "hash_mismatch" | "link_mismatch" | "sequence_gap";

export type AuditVerdict =
  | { readonly intact: true; readonly entries: number; readonly head: string }
  | { readonly intact: false; readonly entries: number; readonly seq: number; readonly problem: AuditBreak; readonly detail: string };

export class AuditChainVerifier {
  private expectedSeq = 1;
  private prevHash = AUDIT_GENESIS_HASH;
  private checked = 0;

  /** Checks the next entry in seq order; returns the break if this entry breaks the chain. */
  check(entry: AuditEntry): AuditVerdict | null {
    if (entry.seq !== this.expectedSeq) {
      return this.broken(entry.seq, "sequence_gap", `expected entry ${String(this.expectedSeq)} next, found ${String(entry.seq)}: entries ${String(this.expectedSeq)}..${String(entry.seq - 1)} are missing`);
    }
    if (entry.prevHash !== this.prevHash) {
      return this.broken(entry.seq, "link_mismatch", `entry ${String(entry.seq)} links to ${entry.prevHash.slice(0, 16)}…, but the entry before it hashes to ${this.prevHash.slice(0, 16)}…`);
    }
    const recomputed = auditEntryHash(entry.prevHash, entry);
    if (recomputed !== entry.hash) {
      return this.broken(entry.seq, "hash_mismatch", `entry ${String(entry.seq)} (${entry.action} ${entry.subject}) does not hash to its stored hash: its content was changed`);
    }
    this.checked++;
    this.expectedSeq++;
    this.prevHash = entry.hash;
    return null;
  }

  result(): AuditVerdict {
    return { intact: true, entries: this.checked, head: this.prevHash };
  }

  private broken(seq: number, problem: AuditBreak, detail: string): AuditVerdict {
    return { intact: false, entries: this.checked, seq, problem, detail };
  }
}

export async function verifyAuditChain(store: AlertCaseStore, pageSize = 1000): Promise<AuditVerdict> {
  const verifier = new AuditChainVerifier();
  let after = 0;
  for (;;) {
    const entries = await store.auditEntries(after, pageSize);
    for (const entry of entries) {
      const broken = verifier.check(entry);
      if (broken !== null) return broken;
      after = entry.seq;
    }
    if (entries.length < pageSize) return verifier.result();
  }
}
