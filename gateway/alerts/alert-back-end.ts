import { dirname, join } from "node:path";
import type { GatewayStore } from "../store/gateway-store.js";
import { createAlertDesk, type AlertDesk } from "./alert-desk.js";
import { publishPendingCases } from "./case-publisher.js";
import { loadOrCreateEvidenceKey } from "./evidence-bundle.js";
import { createIncrementalRunner, type IncrementalRunner } from "./incremental-runner.js";
import { adoptIngestAlerts } from "./ingest-adoption.js";
import { watchListCommand } from "./watch-list.js";

/**
 * The alert back end of one running gateway: the incremental rule runner, the desk (lifecycle, SSE,
 * webhooks, evidence key) and the MQTT publisher of the alerts the rules raise. Every part follows
 * the store, so several gateways on one PostgreSQL database share one set of alerts.
 */
export interface AlertBackEnd {
  readonly desk: AlertDesk;
  readonly runner: IncrementalRunner;
  /** New data or a new ingest alert: run the rules and deliver soon. */
  nudge(): void;
  close(): Promise<void>;
}

export interface AlertBackEndOptions {
  readonly store: GatewayStore;
  /** Publishes an alert body on the site's alert topic. */
  readonly publish: (site: string, body: string) => Promise<void>;
  readonly evidenceKeyPath: string;
  readonly pollMs?: number;
  readonly log?: (level: "info" | "warn" | "error", message: string) => void;
  /** Publishes a command to one box (cw/v1/{site}/{box}/commands); the watch list travels this way. */
  readonly commandBox?: (site: string, box: string, body: string) => Promise<void>;
}

/** Sends an institution's whole watch list to each of its boxes (command watch_list_update). */
export async function pushWatchList(store: GatewayStore, site: string, commandBox: (site: string, box: string, body: string) => Promise<void>, now = Date.now()): Promise<number> {
  const command = JSON.stringify(watchListCommand(await store.alertCases().watchList(site), now));
  const devices = await store.listDevices({ site });
  for (const device of devices) await commandBox(site, device.box, command);
  return devices.length;
}

/** Where the evidence key lives by default: CAREWITNESS_EVIDENCE_KEY_FILE, else beside the SQLite file. */
export function defaultEvidenceKeyPath(sqlitePath: string | null): string {
  const fromEnv = process.env.CAREWITNESS_EVIDENCE_KEY_FILE;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return join(sqlitePath === null || sqlitePath === ":memory:" ? ".carewitness" : dirname(sqlitePath), "evidence-key.pem");
}

export async function startAlertBackEnd(options: AlertBackEndOptions): Promise<AlertBackEnd> {
  const log = options.log ?? (() => undefined);
  const pollMs = options.pollMs ?? 1000;
  const { commandBox } = options;
  const push = (site: string): void => {
    if (commandBox === undefined) return;
    pushWatchList(options.store, site, commandBox).catch((error: unknown) => {
      log("warn", `watch list of ${site} not pushed: ${String(error)}`);
    });
  };
  const desk = createAlertDesk({ store: options.store, evidenceKey: loadOrCreateEvidenceKey(options.evidenceKeyPath), log, onWatchListChanged: push });
  // Boxes may have missed a push while this gateway was down: every institution's list goes out again.
  for (const site of new Set((await desk.cases.watchList(undefined)).map((e) => e.site))) push(site);
  // One publishing pass at a time, so a case is published once by this gateway.
  let publishing: Promise<void> = Promise.resolve();
  const publishCases = (): Promise<void> => {
    publishing = publishing.then(async () => {
      try {
        await publishPendingCases(desk.cases, options.publish);
      } catch (error) {
        log("warn", `alert publish deferred: ${String(error)}`);
      }
    });
    return publishing;
  };
  const runner = createIncrementalRunner({
    store: options.store,
    log,
    onChange: () => {
      desk.changed();
      void publishCases();
    },
  });
  // Ingest alerts get their case at once, not after the rules' next pass, so the stream shows them
  // within a store round trip. Nudges while an adoption runs coalesce into one more.
  let adopting: Promise<void> | null = null;
  let closed = false;
  let again = false;
  const adopt = (): void => {
    if (adopting !== null) {
      again = true;
      return;
    }
    adopting = adoptIngestAlerts(options.store, "ingest")
      .then((adopted) => {
        if (adopted > 0) desk.changed();
      })
      .catch((error: unknown) => {
        log("warn", `ingest alert adoption deferred to the next pass: ${String(error)}`);
      })
      .finally(() => {
        adopting = null;
        if (again) {
          again = false;
          adopt();
        }
      });
  };
  await desk.start(pollMs);
  runner.start(pollMs);
  const publisher = setInterval(() => void publishCases(), pollMs * 5);
  publisher.unref();
  return {
    desk,
    runner,
    nudge: () => {
      if (closed) return;
      adopt();
      runner.nudge();
    },
    async close() {
      closed = true;
      clearInterval(publisher);
      await adopting;
      await publishing;
      await runner.stop();
      await desk.stop();
    },
  };
}
