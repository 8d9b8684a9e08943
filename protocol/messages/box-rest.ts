import { z } from "zod";
import { BoxId, PersonRef, PseudonymKeyId, SiteId, Timestamp } from "../identifiers.js";
import { PROTOCOL_VERSION } from "../version.js";

/**
 * The two REST exchanges a box has with the gateway besides MQTT: provisioning (once, with a one-time
 * token) and face-template synchronisation between the boxes of one institution (signed with the
 * box's Ed25519 key, see box-request-signature.ts). Bodies are JSON; objects are closed like every
 * message of the contract.
 */
const Base64Url = (bytes: number): z.ZodString =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "base64url without padding")
    .refine((text) => Buffer.from(text, "base64url").length === bytes, `${bytes} bytes as base64url`);

export const TemplateKeyId = z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, "template key id: 1-32 of A-Z a-z 0-9 _ . -");

export const ProvisioningRequest = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    token: z.string().min(16).max(128).describe("The one-time provisioning token an administrator minted."),
    publicKey: Base64Url(32).describe("The box's raw Ed25519 public key (32 bytes, base64url)."),
    agentVersion: z.string().min(1).max(40).nullable(),
  })
  .describe("POST /provision/v1/boxes: a box registers its public key with a one-time token.");
export type ProvisioningRequest = z.infer<typeof ProvisioningRequest>;

export const ProvisioningGrant = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    box: BoxId,
    site: SiteId,
    role: z.enum(["dialysis_station", "ward_round"]),
    location: z.string().min(1).max(64).nullable().describe("Station id, or ward for a ward-round box."),
    keyId: z.string().regex(/^[0-9a-f]{16}$/).describe("The registered key's id, as event signatures name it."),
    mqttUrl: z.string().min(1).describe("The broker URL the box connects to."),
    pseudonymKey: z.string().regex(/^(?:[0-9a-f]{2}){32,}$/).describe("The deployment pseudonym key, lowercase hex."),
    pseudonymKeyId: PseudonymKeyId,
    templateKey: Base64Url(32).describe("The institution's AES-256 face-template key (base64url)."),
    templateKeyId: TemplateKeyId,
  })
  .describe("The gateway's answer to a provisioning request: who the box is and the secrets it needs.");
export type ProvisioningGrant = z.infer<typeof ProvisioningGrant>;

/** Why the gateway refused a provisioning request (in the error body's `reason`). */
export const PROVISIONING_REFUSALS = ["token_unknown", "token_expired", "token_used", "box_key_conflict", "provisioning_unavailable"] as const;
export type ProvisioningRefusal = (typeof PROVISIONING_REFUSALS)[number];

export const SealedTemplate = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    site: SiteId,
    sourceBox: BoxId.describe("The box that enrolled the person."),
    personRef: PersonRef,
    model: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/).describe("Model id and version; a template is only compared with templates of the same model."),
    keyId: TemplateKeyId.describe("The institution template key it is sealed under."),
    iv: Base64Url(12),
    tag: Base64Url(16),
    ciphertext: z.string().regex(/^[A-Za-z0-9_-]{1,8192}$/).describe("AES-256-GCM ciphertext of the descriptor (float32 little-endian), base64url."),
    frames: z.number().int().min(1).max(100),
    enrolledAt: Timestamp,
  })
  .describe(
    "A face template sealed with AES-256-GCM under the institution's template key, associated data `carewitness-template-v1|{personRef}|{model}`: the gateway stores and forwards it without being able to read it.",
  );
export type SealedTemplate = z.infer<typeof SealedTemplate>;

export const TemplatePage = z
  .strictObject({
    items: z.array(z.strictObject({ seq: z.number().int().min(1), template: SealedTemplate })),
    after: z.number().int().min(0).describe("The cursor to pull after next time: the last seq in items, or the request's cursor."),
  })
  .describe("GET /box/v1/templates?after=N: the institution's templates after the cursor, in sequence order.");
export type TemplatePage = z.infer<typeof TemplatePage>;
