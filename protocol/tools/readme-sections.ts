import { createHash } from "node:crypto";
import { alertId } from "../alert-id.js";
import { canonicalJson, EVENT_SIGNING_DOMAIN, eventSigningBytes } from "../canonical-form.js";
import {
  EXAMPLE_ID_NUMBERS,
  EXAMPLE_PSEUDONYM_KEY,
  EXAMPLE_PSEUDONYM_KEY_ID,
  exampleBoxes,
  exampleMessages,
} from "../examples.js";
import { maskIdNumber, normaliseIdNumber, personRef } from "../pseudonym.js";
import { QUARANTINE_REASON_DOCS, QUARANTINE_REASONS } from "../quarantine-reasons.js";
import { TOPIC_KINDS, TOPIC_QOS, TOPICS, topicPattern, type TopicKind } from "../topics.js";
import { jsonSchemaFileName } from "./json-schemas.js";

/** The generated sections of protocol/README.md, by marker name. */
export function readmeSections(): Record<string, string> {
  return {
    topics: topicTable(),
    "quarantine-reasons": quarantineReasonTable(),
    "signature-example": signatureExample(),
    "pseudonym-example": pseudonymExample(),
    "alert-id-example": alertIdExample(),
    examples: exampleList(),
  };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function code(text: string): string {
  return `\`${text}\``;
}

function direction(kind: TopicKind): string {
  const spec = TOPICS[kind];
  if (spec.from === "box") return "box → gateway";
  return spec.scope === "site" ? "gateway → supervisors' systems" : "gateway → box";
}

function sizeText(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

function topicTable(): string {
  const schemaLink = (kind: TopicKind): string => `[${jsonSchemaFileName(kind)}](json-schema/${jsonSchemaFileName(kind)})`;
  return table(
    ["Topic", "Direction", "QoS", "Retained", "Max payload", "Schema", "Carries"],
    TOPIC_KINDS.map((kind) => {
      const spec = TOPICS[kind];
      return [
        code(topicPattern(kind)),
        direction(kind),
        String(TOPIC_QOS),
        spec.retained ? "yes" : "no",
        sizeText(spec.maxPayloadBytes),
        schemaLink(kind),
        spec.summary,
      ];
    }),
  );
}

function quarantineReasonTable(): string {
  return table(
    ["Code", "Step", "Meaning"],
    QUARANTINE_REASONS.map((reason) => [code(reason), QUARANTINE_REASON_DOCS[reason].step, QUARANTINE_REASON_DOCS[reason].meaning]),
  );
}

function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function signatureExample(): string {
  const box = exampleBoxes().dialysis;
  const event = exampleMessages().dialysisCheckIn.message;
  const bytes = eventSigningBytes(event);
  const { sig, ...unsigned } = event;
  return [
    `Box ${code(box.box)}, the dialysis station of §16. Its 32-byte Ed25519 seed is the SHA-256 of`,
    `${code(`carewitness example box key ${box.box}`)}; never use it outside tests.`,
    "",
    table(
      ["Step", "Value"],
      [
        ["Seed (hex)", code(box.seed.toString("hex"))],
        ["Raw public key (32 bytes, base64url)", code(box.publicKey)],
        ["Key id: SHA-256 of the raw key, first 16 hex", code(box.keyId)],
        ["Signing bytes: domain line + JCS", `${Buffer.byteLength(EVENT_SIGNING_DOMAIN)} + ${bytes.length - Buffer.byteLength(EVENT_SIGNING_DOMAIN)} = ${bytes.length} bytes`],
        ["SHA-256 of the signing bytes", code(sha256Hex(bytes))],
        ["Signature (64 bytes, base64url) = `sig.value`", code(sig.value)],
      ],
    ),
    "",
    "The signing bytes of the dialysis check-in example, exactly (UTF-8; the first line ends in one `\\n`,",
    "the second has no newline after it):",
    "",
    "```text",
    EVENT_SIGNING_DOMAIN + canonicalJson(unsigned),
    "```",
  ].join("\n");
}

function pseudonymExample(): string {
  const idNumber = EXAMPLE_ID_NUMBERS.dialysisPatient;
  return table(
    ["Step", "Value"],
    [
      ["Pseudonym key (32 bytes, hex; example only)", code(Buffer.from(EXAMPLE_PSEUDONYM_KEY).toString("hex"))],
      ["Key id (`subject.refKey`)", code(EXAMPLE_PSEUDONYM_KEY_ID)],
      ["ID number as read", code(idNumber)],
      ["Normalised", code(normaliseIdNumber(idNumber))],
      ["`ref` = HMAC-SHA256(key, normalised), hex", code(personRef(idNumber, EXAMPLE_PSEUDONYM_KEY))],
      ["`masked`", code(maskIdNumber(idNumber))],
    ],
  );
}

function alertIdExample(): string {
  const alert = exampleMessages().alert.message;
  const cause = [...alert.evidence.eventIds].sort().join(",");
  const input = `${alert.kind}|${cause}`;
  if (alertId(alert.kind, alert.evidence.eventIds) !== alert.id) throw new Error("example alert id is not derived from its cause");
  return [
    `For the example alert of §16, SHA-256 of ${code(input)} is`,
    `${code(sha256Hex(input))}; its first 32 hex characters, ${code(alert.id)}, are the alert id.`,
  ].join("\n");
}

function exampleList(): string {
  return Object.values(exampleMessages())
    .map((example) =>
      [
        `### ${example.title}`,
        "",
        `Topic ${code(example.topic)}, QoS ${TOPIC_QOS}, ${example.retained ? "retained" : "not retained"}.`,
        "",
        "```json",
        JSON.stringify(example.message, null, 2),
        "```",
      ].join("\n"),
    )
    .join("\n\n");
}
