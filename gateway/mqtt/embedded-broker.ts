import { startModuleWorker } from "../module-worker.js";
import type { BrokerWorkerReply } from "./embedded-broker-worker.js";

/**
 * The embedded MQTT broker (aedes, MQTT 3.1.1) so a newcomer needs nothing else installed. It runs
 * in its own worker thread and keeps sessions in memory: a gateway restart loses what the broker
 * queued, and the boxes' outboxes re-send everything not yet acknowledged. Production uses an
 * external broker (Mosquitto, EMQX).
 */
export interface EmbeddedBroker {
  readonly url: string;
  close(): Promise<void>;
}

export class BrokerStartError extends Error {
  readonly code = "broker_listen_failed";
  constructor(host: string, port: number, reason: string) {
    super(
      `embedded MQTT broker could not listen on ${host}:${port}: ${reason}` +
        (reason.includes("EADDRINUSE") ? " (another broker running? pass --mqtt-url to use it, or --embedded-port)" : ""),
    );
  }
}

export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const worker = startModuleWorker(import.meta.url, "embedded-broker-worker", { host, port });
  const listening = await new Promise<number>((resolve, reject) => {
    worker.once("error", (error) => reject(new BrokerStartError(host, port, error.message)));
    worker.once("message", (reply: BrokerWorkerReply) => {
      if ("listening" in reply) resolve(reply.listening);
      else if ("error" in reply) reject(new BrokerStartError(host, port, reply.error));
    });
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  return {
    url: `mqtt://${host}:${listening}`,
    async close() {
      const closed = new Promise<void>((resolve) => {
        worker.on("message", (reply: BrokerWorkerReply) => {
          if ("closed" in reply) resolve();
        });
      });
      worker.postMessage("close");
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
      await worker.terminate();
    },
  };
}
