/**
 * Why a message was rejected. Every rejected message is recorded with one of these codes, the
 * pipeline step that rejected it and a human-readable detail; the codes are part of the contract
 * (they appear in acks) and protocol/README.md documents each one (a test checks that).
 */
export const QUARANTINE_REASONS = [
  "payload_too_large",
  "invalid_utf8",
  "invalid_json",
  "not_an_object",
  "missing_version",
  "unsupported_version",
  "unknown_field",
  "schema_invalid",
  "unknown_topic",
  "topic_mismatch",
  "unknown_box",
  "box_disabled",
  "wrong_key",
  "bad_signature",
  "clock_in_future",
  "clock_too_old",
  "replay_conflict",
  "sequence_reuse",
  "store_rejected",
] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

export const PIPELINE_STEPS = ["parse", "validate", "authenticate", "store"] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

export const QUARANTINE_REASON_DOCS: Record<QuarantineReason, { step: PipelineStep; meaning: string }> = {
  payload_too_large: { step: "parse", meaning: "The payload exceeds the size limit for its topic (events: 16 KiB)." },
  invalid_utf8: { step: "parse", meaning: "The payload is not valid UTF-8." },
  invalid_json: { step: "parse", meaning: "The payload is not JSON (truncated, or not JSON at all)." },
  not_an_object: { step: "parse", meaning: "The JSON is valid but not an object." },
  missing_version: { step: "validate", meaning: "The object has no numeric `v` field." },
  unsupported_version: { step: "validate", meaning: "`v` names a protocol version this gateway does not implement." },
  unknown_field: { step: "validate", meaning: "A field the schema does not define; unknown fields are rejected, not ignored." },
  schema_invalid: { step: "validate", meaning: "A field is missing, has the wrong type or value, or cross-field rules fail." },
  unknown_topic: { step: "validate", meaning: "The topic is not part of the topic tree." },
  topic_mismatch: { step: "validate", meaning: "The payload's site or box differs from the topic it was published on." },
  unknown_box: { step: "authenticate", meaning: "No box with this id is registered." },
  box_disabled: { step: "authenticate", meaning: "The box is registered but disabled (lost, retired or revoked)." },
  wrong_key: { step: "authenticate", meaning: "The signature's key id is not the box's registered key." },
  bad_signature: { step: "authenticate", meaning: "The Ed25519 signature does not verify over the canonical form." },
  clock_in_future: { step: "authenticate", meaning: "The event's time is further ahead of the gateway's clock than the allowed skew." },
  clock_too_old: { step: "authenticate", meaning: "The event's time is older than the maximum age an outbox may hold events." },
  replay_conflict: { step: "store", meaning: "An event with this id was stored before with a different body." },
  sequence_reuse: { step: "store", meaning: "This box already used this sequence number for another event." },
  store_rejected: {
    step: "store",
    meaning: "The store refused this one message while it took others (a poison message); it is kept here so it cannot block the messages behind it.",
  },
};
