/**
 * The wire contract's version. Every message carries it in its `v` field; a consumer that meets a
 * version it does not implement rejects the message with `unsupported_version` instead of guessing.
 */
export const PROTOCOL_VERSION = 1 as const;
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION];

/** Topic-tree root; the version is part of the path so a v2 tree can run beside v1 during a migration. */
export const TOPIC_ROOT = "cw/v1" as const;
