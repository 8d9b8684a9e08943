import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { AlertMessage, canonicalJson, EventMessage, generateBoxKeyPair, keyIdOf, publicKeyFromRaw, rawPublicKey, verifyEventSignature } from "../../protocol/index.js";
import type { AlertCase, AlertCaseStore, AlertTransition } from "../store/alert-case-records.js";
import type { BilledItemRecord, EventRecord, GatewayStore } from "../store/gateway-store.js";

/**
 * An alert's evidence as one signed JSON file for case work: the alert and its lifecycle, every event
 * behind it exactly as the box signed it (with the box's public key, so each event signature can be
 * checked again), the billed lines, the online/offline timeline of the institution's boxes around
 * it, and the evidence image references (content hashes; the images stay on the box).
 *
 * The gateway signs with its own Ed25519 key: signature = Ed25519(private key, UTF-8 bytes of
 * "carewitness-evidence-v1\n" + RFC 8785 canonical JSON of `bundle`). To verify, recompute those
 * bytes from the file's `bundle` and check `signature.value` (base64url) against `signature.publicKey`
 * (32 raw bytes, base64url), after checking that key is the gateway's (GET /api/v1/evidence-key).
 */
export const EVIDENCE_DOMAIN = "carewitness-evidence-v1\n";
/** The box timeline covers this long before and after the facts of the alert. */
const TIMELINE_MARGIN_MS = 12 * 3_600_000;

export interface EvidenceKey {
  readonly privateKey: KeyObject;
  readonly publicKey: string;
  readonly keyId: string;
}

export function evidenceKeyOf(privateKey: KeyObject): EvidenceKey {
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey: rawPublicKey(publicKey), keyId: keyIdOf(publicKey) };
}

/** The gateway's signing key from a PKCS#8 PEM file, created (mode 0600) on first use. */
export function loadOrCreateEvidenceKey(path: string): EvidenceKey {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const { privateKey } = generateBoxKeyPair();
    writeFileSync(path, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
  }
  return evidenceKeyOf(createPrivateKey(readFileSync(path)));
}

export interface EvidenceBundle {
  readonly bundle: Record<string, unknown>;
  readonly signature: { readonly alg: "Ed25519"; readonly keyId: string; readonly publicKey: string; readonly value: string };
}

function signingBytes(bundle: unknown): Buffer {
  return Buffer.from(EVIDENCE_DOMAIN + canonicalJson(bundle), "utf8");
}

export function signBundle(bundle: Record<string, unknown>, key: EvidenceKey): EvidenceBundle {
  const value = sign(null, signingBytes(bundle), key.privateKey).toString("base64url");
  return { bundle, signature: { alg: "Ed25519", keyId: key.keyId, publicKey: key.publicKey, value } };
}

export type BundleCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const BundleFile = z.object({
  bundle: z.record(z.string(), z.unknown()),
  signature: z.object({ alg: z.literal("Ed25519"), keyId: z.string(), publicKey: z.string(), value: z.string() }),
});

/** Checks a bundle file's signature; `trustedPublicKey` (base64url) pins the gateway's key. */
export function verifyEvidenceBundle(file: unknown, trustedPublicKey?: string): BundleCheck {
  const parsed = BundleFile.safeParse(file);
  if (!parsed.success) return { ok: false, reason: `not an evidence bundle: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}` };
  const { bundle, signature } = parsed.data;
  if (trustedPublicKey !== undefined && signature.publicKey !== trustedPublicKey) return { ok: false, reason: "signed by another key than the trusted gateway key" };
  let publicKey: KeyObject;
  try {
    publicKey = publicKeyFromRaw(signature.publicKey);
  } catch (error) {
    return { ok: false, reason: `bad public key: ${String(error)}` };
  }
  if (keyIdOf(publicKey) !== signature.keyId) return { ok: false, reason: "keyId does not name publicKey" };
  const valid = verify(null, signingBytes(bundle), publicKey, Buffer.from(signature.value, "base64url"));
  return valid ? { ok: true } : { ok: false, reason: "signature does not verify over the bundle: the file was changed" };
}

export interface EvidenceParts {
  readonly alert: AlertCase;
  readonly message: AlertMessage;
  readonly events: readonly { readonly record: EventRecord; readonly event: EventMessage; readonly publicKey: string | null; readonly keyId: string | null; readonly verified: boolean }[];
  readonly lines: readonly BilledItemRecord[];
  readonly timeline: { readonly from: number; readonly to: number; readonly points: readonly { readonly box: string; readonly role: string; readonly state: string; readonly reason: string; readonly at: number }[] };
  readonly transitions: readonly AlertTransition[];
}

/** Everything behind one alert, read from the store (the detail view and the bundle share it). */
export async function collectEvidence(store: GatewayStore, cases: AlertCaseStore, alertId: string): Promise<EvidenceParts | undefined> {
  const alert = await cases.getCase(alertId);
  if (alert === undefined) return undefined;
  const message = AlertMessage.parse(JSON.parse(alert.body));
  const events: EvidenceParts["events"][number][] = [];
  const times: number[] = [alert.occurredAt];
  for (const id of message.evidence.eventIds) {
    const record = await store.getEvent(id);
    if (record === undefined) continue;
    const event = EventMessage.parse(JSON.parse(record.body));
    const device = await store.getDevice(record.box);
    const verified = device !== undefined && verifyEventSignature(event, publicKeyFromRaw(device.publicKey), device.keyId).ok;
    times.push(record.occurredAt);
    events.push({ record, event, publicKey: device?.publicKey ?? null, keyId: device?.keyId ?? null, verified });
  }
  const lines = await cases.billedLines(message.evidence.billingLineIds ?? []);
  for (const line of lines) times.push(line.serviceAt);
  const from = Math.min(...times) - TIMELINE_MARGIN_MS;
  const to = Math.max(...times) + TIMELINE_MARGIN_MS;
  const points: EvidenceParts["timeline"]["points"][number][] = [];
  for (const device of await store.listDevices({ site: alert.site })) {
    const history = await store.statusHistory(device.box, 1000);
    for (const p of history.filter((h) => h.at >= from && h.at <= to)) points.push({ box: device.box, role: device.role, state: p.state, reason: p.reason, at: p.at });
  }
  points.sort((a, b) => a.at - b.at || (a.box < b.box ? -1 : 1));
  return { alert, message, events, lines, timeline: { from, to, points }, transitions: await cases.transitionsOf(alertId) };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The bundle (unsigned) of one alert. */
export function evidenceBundleBody(parts: EvidenceParts, now: number): Record<string, unknown> {
  const { alert } = parts;
  return {
    format: "carewitness-evidence-v1",
    generatedAt: iso(now),
    alert: parts.message,
    state: alert.state,
    resolution: alert.resolution === null ? null : (JSON.parse(alert.resolution) as unknown),
    history: parts.transitions.map((t) => ({ from: t.from, to: t.to, action: t.action, actor: t.actor, reason: t.reason, note: t.note, at: iso(t.at) })),
    events: parts.events.map((e) => ({
      event: e.event,
      receivedAt: iso(e.record.receivedAt),
      box: { id: e.record.box, publicKey: e.publicKey, keyId: e.keyId },
      signatureVerifiedByGateway: e.verified,
    })),
    images: parts.events.flatMap((e) => e.event.evidence.map((ref) => ({ eventId: e.event.id, box: e.event.box, ...ref }))),
    billingLines: parts.lines.map((r) => ({ id: r.id, bodySha256: r.bodyHash, importedAt: iso(r.importedAt), line: JSON.parse(r.body) as unknown })),
    boxTimeline: { from: iso(parts.timeline.from), to: iso(parts.timeline.to), points: parts.timeline.points.map((p) => ({ ...p, at: iso(p.at) })) },
  };
}
