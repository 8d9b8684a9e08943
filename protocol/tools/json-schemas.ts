import { z } from "zod";
import { TOPIC_KINDS, TOPICS, topicPattern, type TopicKind } from "../topics.js";
import type { ContractFile } from "./contract-file.js";

/** Relative to the repository root; protocol/README.md links to the files as `json-schema/...`. */
export const JSON_SCHEMA_DIR = "protocol/json-schema";
export const JSON_SCHEMA_SUFFIX = ".schema.json";

export function jsonSchemaFileName(kind: TopicKind): string {
  return `${kind}${JSON_SCHEMA_SUFFIX}`;
}

export function jsonSchemaPath(kind: TopicKind): string {
  return `${JSON_SCHEMA_DIR}/${jsonSchemaFileName(kind)}`;
}

const SCHEMA_COMMENTS: Partial<Record<TopicKind, string>> = {
  events:
    "Events must also satisfy cross-field rules this schema cannot express (which outcomes need a subject ref, face, liveness or attestation; absent only on ward checks): see protocol/README.md section 13.",
};

/**
 * One JSON Schema (draft 2020-12) per topic, from the zod source. The schemas describe what a consumer
 * accepts (`io: "input"`); zod emits members in declaration order, so the text is stable for a given
 * source. Refinements (the event's cross-field rules) have no JSON Schema form and are documented in
 * protocol/README.md instead.
 */
export function jsonSchemaFiles(): ContractFile[] {
  return TOPIC_KINDS.map((kind) => {
    const { $schema, ...schema } = z.toJSONSchema(TOPICS[kind].schema, { io: "input" });
    const comment = SCHEMA_COMMENTS[kind];
    const document = { $schema, title: topicPattern(kind), ...(comment === undefined ? {} : { $comment: comment }), ...schema };
    return { path: jsonSchemaPath(kind), content: `${JSON.stringify(document, null, 2)}\n` };
  });
}
