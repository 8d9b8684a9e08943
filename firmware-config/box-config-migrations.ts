import { BOX_CONFIG_VERSION } from "./box-config.js";

/**
 * Migrations of the box's configuration document from older schema versions, applied in order before
 * the current schema validates it (as Frigate and zigbee2mqtt migrate their settings). Each step takes
 * the parsed JSON of version N and returns version N + 1; a released step is never edited.
 *
 * - v0: the pilot boxes' file, before `configVersion` existed: `box.station` or `box.ward` instead
 *   of `box.location`, and one `keyDir` holding `box.key`, `pseudonym.key` and `template.key` plus a
 *   top-level `pseudonymKeyId`, instead of the `keys` section.
 * - v1: the current schema (box-config.ts).
 */
export type JsonObject = Record<string, unknown>;

export type MigrationStep = { readonly ok: true; readonly document: JsonObject } | { readonly ok: false; readonly message: string };

interface ConfigMigration {
  readonly from: number;
  readonly migrate: (document: JsonObject) => MigrationStep;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function joinPath(dir: string, file: string): string {
  return `${dir.replace(/\/+$/, "")}/${file}`;
}

const fromV0: ConfigMigration = {
  from: 0,
  migrate(document) {
    const { keyDir, pseudonymKeyId, box, ...rest } = document;
    if (typeof keyDir !== "string" || keyDir.length === 0) return { ok: false, message: "v0: keyDir must be a non-empty string" };
    if (!isObject(box)) return { ok: false, message: "v0: box must be an object" };
    const { station, ward, ...boxRest } = box;
    if (station !== undefined && ward !== undefined) return { ok: false, message: "v0: box has both station and ward" };
    const location = station ?? ward ?? null;
    return {
      ok: true,
      document: {
        ...rest,
        configVersion: 1,
        box: { ...boxRest, location },
        keys: {
          signingKeyPath: joinPath(keyDir, "box.key"),
          pseudonymKeyPath: joinPath(keyDir, "pseudonym.key"),
          pseudonymKeyId,
          templateKeyPath: joinPath(keyDir, "template.key"),
        },
      },
    };
  },
};

/** Every step, indexed by the version it starts from; BOX_CONFIG_VERSION steps in all. */
export const CONFIG_MIGRATIONS: readonly ConfigMigration[] = [fromV0];

/** The schema version a document declares: its `configVersion`, or 0 when it has none (v0). */
export function configVersionOf(document: unknown): number | undefined {
  if (!isObject(document)) return undefined;
  const version = document.configVersion;
  if (version === undefined) return 0;
  return typeof version === "number" && Number.isInteger(version) && version >= 0 ? version : undefined;
}

export type ConfigMigrationResult =
  | { readonly ok: true; readonly document: unknown; readonly from: number }
  | { readonly ok: false; readonly from: number; readonly message: string };

/** Brings an older document to the current version; a current one is returned as it is. */
export function migrateBoxConfigDocument(document: unknown): ConfigMigrationResult {
  const from = configVersionOf(document);
  if (from === undefined || !isObject(document)) return { ok: false, from: -1, message: "configVersion must be a non-negative integer" };
  let current: JsonObject = document;
  for (let version = from; version < BOX_CONFIG_VERSION; version++) {
    const step = CONFIG_MIGRATIONS[version];
    if (step?.from !== version) return { ok: false, from, message: `no migration from configuration version ${version}` };
    const next = step.migrate(current);
    if (!next.ok) return { ok: false, from, message: next.message };
    current = next.document;
  }
  return { ok: true, document: current, from };
}
