/**
 * The reader's presence logic as a pure state machine (STYLE.md: pure state machines take events
 * and return actions; I/O lives at the edge). Each poll cycle (find → select → read) ends in one
 * observation; the machine turns observations into "presented" / "removed" events, one
 * "presented" per presentation rather than one per poll while the card lies on the reader.
 *
 * Both readings of what `find card` answers while an already read card still lies on the reader
 * are handled ([?] in our reference's sources):
 * - it keeps answering 9F: the card is read again each poll and compared by its text block, so the
 *   same card stays one presentation and a swapped card is removed + presented;
 * - it answers 80 until the card is lifted: after `removalMisses` empty polls the card is reported
 *   removed (early, while it may still lie there), and it is presented again only when re-placed.
 */
export type PollObservation<C, E> =
  | { readonly kind: "no_card" }
  | { readonly kind: "card"; readonly key: string; readonly card: C }
  /** A card was read but refused (for example its ID number fails the check). */
  | { readonly kind: "card_rejected"; readonly key: string; readonly error: E }
  /** A card was found but select or read failed (moved, removed mid-read, card error). */
  | { readonly kind: "read_failed"; readonly error: E }
  /** The reader did not answer usefully (timeout, damaged replies, SAM failure). */
  | { readonly kind: "reader_error"; readonly error: E }
  /** The port went away. */
  | { readonly kind: "link_lost"; readonly error: E };

export type PollEvent<C, E> =
  | { readonly kind: "presented"; readonly card: C }
  | { readonly kind: "removed"; readonly card: C; readonly reason: "lifted" | "replaced" | "link_lost" }
  | { readonly kind: "rejected"; readonly error: E }
  | { readonly kind: "read_failed"; readonly error: E }
  | { readonly kind: "reader_error"; readonly error: E }
  /** Too many reader errors in a row: close and reopen the port. */
  | { readonly kind: "reopen_port" };

export interface PresenceState<C> {
  /** The card on the reader as far as we know: accepted (with its card) or rejected. */
  readonly present: { readonly key: string; readonly card: C | null } | null;
  readonly misses: number;
  readonly readerErrors: number;
}

export interface PollLoopOptions {
  /** Empty polls in a row before a present card counts as removed (debounces a card at the field's edge). */
  readonly removalMisses: number;
  /** Reader errors in a row before the port is reopened. */
  readonly reopenAfterErrors: number;
}

export const DEFAULT_POLL_LOOP_OPTIONS: PollLoopOptions = { removalMisses: 2, reopenAfterErrors: 3 };

export function initialPresence<C>(): PresenceState<C> {
  return { present: null, misses: 0, readerErrors: 0 };
}

export interface PollStep<C, E> {
  readonly state: PresenceState<C>;
  readonly events: readonly PollEvent<C, E>[];
}

export function advancePresence<C, E>(state: PresenceState<C>, observation: PollObservation<C, E>, options: PollLoopOptions = DEFAULT_POLL_LOOP_OPTIONS): PollStep<C, E> {
  const present = state.present;
  const removedEvents = (reason: "lifted" | "replaced" | "link_lost"): PollEvent<C, E>[] => (present?.card != null ? [{ kind: "removed", card: present.card, reason }] : []);
  switch (observation.kind) {
    case "no_card": {
      if (present === null) return { state: { ...state, misses: 0, readerErrors: 0 }, events: [] };
      const misses = state.misses + 1;
      if (misses < options.removalMisses) return { state: { ...state, misses, readerErrors: 0 }, events: [] };
      return { state: { present: null, misses: 0, readerErrors: 0 }, events: removedEvents("lifted") };
    }
    case "card": {
      const next: PresenceState<C> = { present: { key: observation.key, card: observation.card }, misses: 0, readerErrors: 0 };
      if (present?.key === observation.key) return { state: { ...next, present: present }, events: [] };
      return { state: next, events: [...removedEvents("replaced"), { kind: "presented", card: observation.card }] };
    }
    case "card_rejected": {
      const next: PresenceState<C> = { present: { key: observation.key, card: null }, misses: 0, readerErrors: 0 };
      if (present?.key === observation.key) return { state: next, events: [] };
      return { state: next, events: [...removedEvents("replaced"), { kind: "rejected", error: observation.error }] };
    }
    case "read_failed": {
      // A card that is being lifted often fails a read first: count it towards removal.
      const misses = present === null ? 0 : state.misses + 1;
      if (present !== null && misses >= options.removalMisses) {
        return { state: { present: null, misses: 0, readerErrors: 0 }, events: [...removedEvents("lifted"), { kind: "read_failed", error: observation.error }] };
      }
      return { state: { ...state, misses, readerErrors: 0 }, events: [{ kind: "read_failed", error: observation.error }] };
    }
    case "reader_error": {
      const readerErrors = state.readerErrors + 1;
      const events: PollEvent<C, E>[] = [{ kind: "reader_error", error: observation.error }];
      if (readerErrors >= options.reopenAfterErrors) return { state: { ...state, readerErrors: 0 }, events: [...events, { kind: "reopen_port" }] };
      return { state: { ...state, readerErrors }, events };
    }
    case "link_lost":
      return { state: { present: null, misses: 0, readerErrors: 0 }, events: removedEvents("link_lost") };
  }
}
