import type { z } from "zod";
import { TOPICS, type MessageOf, type TopicKind } from "./topics.js";
import { SUPPORTED_VERSIONS } from "./version.js";
import type { QuarantineReason, PipelineStep } from "./quarantine-reasons.js";
import { QUARANTINE_REASON_DOCS } from "./quarantine-reasons.js";

/**
 * Bytes from the wire → a typed message, or the reason it is not one. Expected failures are values,
 * never exceptions: one bad message must not disturb the good ones around it.
 */
export interface ProtocolViolation {
  readonly reason: QuarantineReason;
  readonly step: PipelineStep;
  readonly detail: string;
}

export type Decoded<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly violation: ProtocolViolation };

export function violation(reason: QuarantineReason, detail: string): { ok: false; violation: ProtocolViolation } {
  return { ok: false, violation: { reason, step: QUARANTINE_REASON_DOCS[reason].step, detail } };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeJson(payload: Uint8Array, maxBytes: number): Decoded<Record<string, unknown>> {
  if (payload.byteLength > maxBytes) {
    return violation("payload_too_large", `payload is ${payload.byteLength} bytes, the limit is ${maxBytes}`);
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return violation("invalid_utf8", "payload is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return violation("invalid_json", `payload is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return violation("not_an_object", `payload is JSON ${Array.isArray(value) ? "array" : typeof value}, expected an object`);
  }
  return { ok: true, message: value as Record<string, unknown> };
}

/** Validates an already-parsed object against the schema of a topic kind. */
export function validateMessage<K extends TopicKind>(kind: K, value: Record<string, unknown>): Decoded<MessageOf<K>> {
  const version = value.v;
  if (typeof version !== "number") return violation("missing_version", "no numeric `v` field");
  if (!SUPPORTED_VERSIONS.includes(version)) {
    return violation("unsupported_version", `protocol version ${version} is not supported (supported: ${SUPPORTED_VERSIONS.join(", ")})`);
  }
  const result = (TOPICS[kind].schema as unknown as z.ZodType<MessageOf<K>>).safeParse(value);
  if (result.success) return { ok: true, message: result.data };
  const unknownKeys = result.error.issues.find((issue) => issue.code === "unrecognized_keys");
  if (unknownKeys) {
    return violation("unknown_field", `unknown field(s) ${unknownKeys.keys.join(", ")} at ${pathText(unknownKeys.path)}`);
  }
  return violation("schema_invalid", result.error.issues.slice(0, 5).map((i) => `${pathText(i.path)}: ${i.message}`).join("; "));
}

export function decodeMessage<K extends TopicKind>(kind: K, payload: Uint8Array): Decoded<MessageOf<K>> {
  const json = decodeJson(payload, TOPICS[kind].maxPayloadBytes);
  return json.ok ? validateMessage(kind, json.message) : json;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}
