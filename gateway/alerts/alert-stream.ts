import type { AlertCaseStore } from "../store/alert-case-records.js";
import { alertCaseView, type AlertCaseView } from "./alert-view.js";

/**
 * Fans alert changes out to live subscribers (the SSE route). It follows the store's change feed
 * rather than in-process callbacks, so a subscriber sees changes made by every gateway sharing the
 * database and by the CLI; a local change calls nudge() so it goes out without waiting for the poll.
 * A subscriber that reconnects with Last-Event-ID gets the changes it missed first. Polls and
 * catch-ups run one after the other, so nothing is skipped or sent twice.
 */
export interface AlertFrame {
  readonly seq: number;
  readonly change: string;
  readonly alert: AlertCaseView;
}

export interface StreamSubscription {
  /** Only this institution's alerts (hospital tokens); undefined: all. */
  readonly site: string | undefined;
  /** Last seq the subscriber has seen (Last-Event-ID); null: only what happens from now on. */
  readonly after: number | null;
  readonly send: (frame: AlertFrame) => void;
}

export interface AlertStreamHub {
  subscribe(subscription: StreamSubscription): Promise<() => void>;
  nudge(): void;
  start(pollMs: number): Promise<void>;
  stop(): Promise<void>;
  subscribers(): number;
}

const BATCH = 500;
/** A reconnecting subscriber gets at most this many missed changes; older ones are in GET /alerts. */
const CATCH_UP_LIMIT = 1000;

interface Subscriber {
  site: string | undefined;
  after: number;
  send: (frame: AlertFrame) => void;
}

export function createAlertStreamHub(store: AlertCaseStore, log: (level: "error", message: string) => void = () => undefined): AlertStreamHub {
  const subscribers = new Set<Subscriber>();
  let lastSeq: number | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;

  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  };

  async function deliver(targets: readonly Subscriber[], from: number, until: number | null): Promise<number> {
    let seq = from;
    for (;;) {
      const changes = await store.changesAfter(seq, BATCH);
      for (const change of changes) {
        if (until !== null && change.seq > until) return seq;
        const alert = await store.getCase(change.alertId);
        seq = change.seq;
        if (alert === undefined) continue;
        let view: AlertCaseView;
        try {
          view = alertCaseView(alert);
        } catch (error) {
          // One unreadable alert must not stall the stream for every later one.
          log("error", `alert ${alert.id} cannot be shown: ${String(error)}`);
          continue;
        }
        const frame: AlertFrame = { seq: change.seq, change: change.change, alert: view };
        for (const s of targets) {
          if (change.seq <= s.after || (s.site !== undefined && s.site !== change.site)) continue;
          s.after = change.seq;
          try {
            s.send(frame);
          } catch {
            subscribers.delete(s);
          }
        }
      }
      if (changes.length < BATCH) return seq;
    }
  }

  const poll = (): Promise<void> =>
    serially(async () => {
      lastSeq ??= await store.lastChangeSeq();
      lastSeq = await deliver([...subscribers], lastSeq, null);
    });

  return {
    subscribe(subscription) {
      return serially(async () => {
        lastSeq ??= await store.lastChangeSeq();
        const subscriber: Subscriber = { site: subscription.site, after: lastSeq, send: subscription.send };
        if (subscription.after !== null && subscription.after < lastSeq) {
          subscriber.after = Math.max(subscription.after, lastSeq - CATCH_UP_LIMIT);
          await deliver([subscriber], subscriber.after, lastSeq);
        }
        subscribers.add(subscriber);
        return () => {
          subscribers.delete(subscriber);
        };
      });
    },
    nudge() {
      void poll().catch(() => undefined);
    },
    async start(pollMs) {
      await poll();
      timer ??= setInterval(() => {
        void poll().catch(() => undefined);
      }, pollMs);
      timer.unref();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      // Polls already asked for still go out; then nobody is served any more.
      await chain;
      subscribers.clear();
    },
    subscribers: () => subscribers.size,
  };
}
