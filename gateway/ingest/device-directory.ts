import type { GatewayStore } from "../store/gateway-store.js";
import type { RegisteredKey } from "./inspect-event.js";

/**
 * Registered keys by box, cached in memory so the hot path rarely touches the store. Several gateways
 * may share one database: a box registered through another instance is found on the next miss, and
 * a miss is remembered only briefly so a fresh registration is seen within `negativeTtlMs`.
 */
export interface DeviceDirectory {
  keyFor(box: string): Promise<RegisteredKey | null>;
  /** Forget what is cached for a box (after registering, re-keying, enabling or disabling it). */
  invalidate(box: string): void;
}

export function createDeviceDirectory(store: GatewayStore, options: { positiveTtlMs?: number; negativeTtlMs?: number } = {}): DeviceDirectory {
  const positiveTtlMs = options.positiveTtlMs ?? 30_000;
  const negativeTtlMs = options.negativeTtlMs ?? 2_000;
  const cache = new Map<string, { key: RegisteredKey | null; until: number }>();
  const loading = new Map<string, Promise<RegisteredKey | null>>();

  async function load(box: string): Promise<RegisteredKey | null> {
    const device = await store.getDevice(box);
    const key = device === undefined ? null : { raw: device.publicKey, keyId: device.keyId, enabled: device.enabled };
    cache.set(box, { key, until: Date.now() + (key === null ? negativeTtlMs : positiveTtlMs) });
    return key;
  }

  return {
    keyFor(box) {
      const hit = cache.get(box);
      if (hit !== undefined && hit.until > Date.now()) return Promise.resolve(hit.key);
      let pending = loading.get(box);
      if (pending === undefined) {
        pending = load(box).finally(() => loading.delete(box));
        loading.set(box, pending);
      }
      return pending;
    },
    invalidate(box) {
      cache.delete(box);
    },
  };
}
