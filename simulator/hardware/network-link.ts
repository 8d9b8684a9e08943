import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A box's network: a TCP relay between the box and the broker that the scenario can cut ("box
 * offline") and restore. Cutting destroys the open connections, as a pulled cable eventually does,
 * and refuses new ones until restored; the broker then publishes the box's last will.
 */
export interface NetworkLink {
  /** The URL the box connects to (mqtt://127.0.0.1:{relay port}). */
  readonly url: string;
  readonly isUp: boolean;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function openNetworkLink(brokerUrl: string): Promise<NetworkLink> {
  const broker = new URL(brokerUrl);
  const brokerPort = Number(broker.port === "" ? 1883 : broker.port);
  const sockets = new Set<Socket>();
  let up = true;
  const server: Server = createServer((box) => {
    if (!up) {
      box.destroy();
      return;
    }
    const upstream = connect(brokerPort, broker.hostname);
    for (const socket of [box, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    box.pipe(upstream);
    upstream.pipe(box);
    box.on("close", () => upstream.destroy());
    upstream.on("close", () => box.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `${broker.protocol}//127.0.0.1:${port}`,
    get isUp() {
      return up;
    },
    cut() {
      up = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      up = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
