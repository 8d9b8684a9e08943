import { createServer, type AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { Aedes } from "aedes";

/**
 * The embedded broker's own thread: aedes and its TCP listener run here, so relaying MQTT packets
 * does not compete with ingest on the gateway's main thread.
 */
export type BrokerWorkerReply = { readonly listening: number } | { readonly error: string } | { readonly closed: true };

const { host, port } = workerData as { host: string; port: number };

if (parentPort !== null) {
  const port$ = parentPort;
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  server.once("error", (error) => {
    port$.postMessage({ error: error.message } satisfies BrokerWorkerReply);
  });
  server.listen(port, host, () => {
    port$.postMessage({ listening: (server.address() as AddressInfo).port } satisfies BrokerWorkerReply);
  });
  port$.on("message", (message: unknown) => {
    if (message !== "close") return;
    aedes.close(() => {
      server.close(() => {
        port$.postMessage({ closed: true } satisfies BrokerWorkerReply);
      });
    });
  });
}
