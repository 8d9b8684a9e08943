import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { StoreConfig } from "./gateway-config.js";
import type { GatewayStore } from "./store/gateway-store.js";
import { openPgStore } from "./store/pg-store.js";
import { openSqliteStore } from "./store/sqlite-store.js";

/** Opens and migrates the configured store. */
export async function openGatewayStore(config: StoreConfig): Promise<GatewayStore> {
  let store: GatewayStore;
  if (config.kind === "sqlite") {
    if (config.path !== ":memory:") mkdirSync(dirname(config.path), { recursive: true });
    // FULL: an acknowledged event must survive a power cut, not only a crash (the box deletes it on our ack).
    store = openSqliteStore({ path: config.path, synchronous: "FULL" });
  } else {
    store = openPgStore({ connectionString: config.url, ...(config.schema === undefined ? {} : { schema: config.schema }) });
  }
  await store.migrate();
  return store;
}
