import { createServer, type AddressInfo, type Server } from "node:net";
import { Aedes } from "aedes";

/**
 * The embedded MQTT broker (aedes, MQTT 3.1.1) so a newcomer needs nothing else installed. It keeps
 * sessions in memory: a gateway restart loses what the broker queued, and the boxes' outboxes
 * re-send everything not yet acknowledged. Production uses an external broker (Mosquitto, EMQX).
 */
export interface EmbeddedBroker {
  readonly url: string;
  close(): Promise<void>;
}

export class BrokerStartError extends Error {
  readonly code = "broker_listen_failed";
  constructor(host: string, port: number, cause: Error) {
    super(
      `embedded MQTT broker could not listen on ${host}:${port}: ${cause.message}` +
        (cause.message.includes("EADDRINUSE") ? " (another broker running? pass --mqtt-url to use it, or --embedded-port)" : ""),
      { cause },
    );
  }
}

export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => {
      reject(new BrokerStartError(host, port, error));
    });
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `mqtt://${host}:${address.port}`,
    async close() {
      await new Promise<void>((resolve) => {
        aedes.close(() => {
          resolve();
        });
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
