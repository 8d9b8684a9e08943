import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../module-worker.js";
import { inspectEvent, type InspectRequest, type InspectResult } from "./inspect-event.js";
import type { WorkerBatch, WorkerReply } from "./verifier-worker.js";

/**
 * Spreads event inspection (the Ed25519 verification dominates it) over worker threads. Requests are
 * gathered for one event-loop turn and sent to the least-loaded worker as one batch, which keeps the
 * per-message cost of postMessage small. With zero workers it inspects on the calling thread.
 */
export interface VerifierPool {
  inspect(request: InspectRequest): Promise<InspectResult>;
  close(): Promise<void>;
}

interface PendingBatch {
  readonly resolvers: ((result: InspectResult) => void)[];
  readonly rejecters: ((error: Error) => void)[];
}

interface WorkerSlot {
  readonly worker: Worker;
  readonly inFlight: Map<number, PendingBatch>;
  load: number;
}

export function createVerifierPool(workers: number, maxBatch = 256): VerifierPool {
  if (workers === 0) {
    return {
      inspect: (request) => Promise.resolve(inspectEvent(request)),
      close: () => Promise.resolve(),
    };
  }
  let nextBatchId = 1;
  let closed = false;
  const slots: WorkerSlot[] = Array.from({ length: workers }, () => {
    const slot: WorkerSlot = { worker: startModuleWorker(import.meta.url, "verifier-worker"), inFlight: new Map(), load: 0 };
    slot.worker.on("message", (reply: WorkerReply) => {
      const pending = slot.inFlight.get(reply.batchId);
      if (pending === undefined) return;
      slot.inFlight.delete(reply.batchId);
      slot.load -= pending.resolvers.length;
      reply.results.forEach((result, i) => pending.resolvers[i]?.(result));
    });
    slot.worker.on("error", (error) => {
      failAll(slot, error);
    });
    slot.worker.on("exit", (code) => {
      if (!closed) failAll(slot, new Error(`verifier worker exited with code ${code}`));
    });
    return slot;
  });

  function failAll(slot: WorkerSlot, error: Error): void {
    for (const pending of slot.inFlight.values()) pending.rejecters.forEach((reject) => reject(error));
    slot.inFlight.clear();
    slot.load = 0;
  }

  let gathering: { requests: InspectRequest[]; pending: PendingBatch } | null = null;

  function flush(): void {
    const batch = gathering;
    gathering = null;
    if (batch === null) return;
    const slot = slots.reduce((least, s) => (s.load < least.load ? s : least));
    const batchId = nextBatchId++;
    slot.inFlight.set(batchId, batch.pending);
    slot.load += batch.requests.length;
    const message: WorkerBatch = { batchId, requests: batch.requests };
    slot.worker.postMessage(message);
  }

  return {
    inspect(request) {
      if (closed) return Promise.reject(new Error("verifier pool is closed"));
      return new Promise<InspectResult>((resolve, reject) => {
        if (gathering === null) {
          gathering = { requests: [], pending: { resolvers: [], rejecters: [] } };
          setImmediate(flush);
        }
        gathering.requests.push(request);
        gathering.pending.resolvers.push(resolve);
        gathering.pending.rejecters.push(reject);
        if (gathering.requests.length >= maxBatch) flush();
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
