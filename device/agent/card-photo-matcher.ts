/**
 * A plug-in seam for matching the live face against the photo stored on the ID card. The photo is
 * 1024 bytes of WLT, a proprietary compression; no open decoder exists and CareWitness ships none.
 * A licensed decoder (from the reader vendor or the public-security authority's SDK) could implement
 * this interface and be wired into the agent; until then the card photo stays opaque, is never
 * decoded, stored or sent, and enrolment relies on the nurse's supervision instead.
 *
 * There is deliberately no implementation in this repository.
 */
export interface CardPhotoMatcher {
  /** Vendor and version of the licensed decoder, for the event's evidence and health. */
  readonly decoder: string;
  /** Distance between the card photo and the live face frames, or a reason it could not compare. */
  compare(
    cardPhotoWlt: Uint8Array,
    liveFrames: readonly Buffer[],
  ): Promise<{ readonly ok: true; readonly distance: number; readonly threshold: number } | { readonly ok: false; readonly reason: "decoder_error" | "no_face" }>;
}
