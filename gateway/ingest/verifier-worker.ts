import { parentPort } from "node:worker_threads";
import { inspectEvent, type InspectRequest, type InspectResult } from "./inspect-event.js";

/** Worker thread: inspects batches of event payloads (parse, validate, verify) off the main thread. */
export interface WorkerBatch {
  readonly batchId: number;
  readonly requests: readonly InspectRequest[];
}
export interface WorkerReply {
  readonly batchId: number;
  readonly results: readonly InspectResult[];
}

if (parentPort !== null) {
  const port = parentPort;
  port.on("message", (batch: WorkerBatch) => {
    const reply: WorkerReply = { batchId: batch.batchId, results: batch.requests.map(inspectEvent) };
    port.postMessage(reply);
  });
}
