import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { BoxConfig, BOX_CONFIG_VERSION } from "./box-config.js";
import { configVersionOf, migrateBoxConfigDocument } from "./box-config-migrations.js";

/**
 * Reading and writing the box's configuration file. Reading reports a typed problem instead of
 * throwing, and migrates a document of an older schema version (box-config-migrations.ts) before
 * validating it; writing is atomic (temporary file synced, then renamed, then the directory synced)
 * and keeps the file it replaces as `<path>.previous`, so a configuration that fails to start the
 * box's parts can be rolled back.
 */
export type ConfigProblem =
  | { readonly code: "missing"; readonly message: string }
  | { readonly code: "not_json"; readonly message: string }
  | { readonly code: "version_too_new"; readonly message: string }
  | { readonly code: "migration_failed"; readonly message: string }
  | { readonly code: "invalid"; readonly message: string };

export type ConfigRead =
  | {
      readonly ok: true;
      readonly config: BoxConfig;
      /** The schema version the document was migrated from; absent when it was current. */
      readonly migratedFrom?: number;
    }
  | { readonly ok: false; readonly problem: ConfigProblem };

/** Validates a parsed document (from a file or a push) as a box configuration, migrating an older version. */
export function parseBoxConfig(document: unknown): ConfigRead {
  const version = configVersionOf(document);
  if (version !== undefined && version > BOX_CONFIG_VERSION) {
    return { ok: false, problem: { code: "version_too_new", message: `configuration version ${version} is newer than this agent's ${BOX_CONFIG_VERSION}` } };
  }
  let current = document;
  let migratedFrom: number | undefined;
  if (version !== undefined && version < BOX_CONFIG_VERSION) {
    const migrated = migrateBoxConfigDocument(document);
    if (!migrated.ok) return { ok: false, problem: { code: "migration_failed", message: `from version ${migrated.from}: ${migrated.message}` } };
    current = migrated.document;
    migratedFrom = version;
  }
  const parsed = BoxConfig.safeParse(current);
  if (parsed.success) return migratedFrom === undefined ? { ok: true, config: parsed.data } : { ok: true, config: parsed.data, migratedFrom };
  const message = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
  return { ok: false, problem: { code: "invalid", message } };
}

export function readBoxConfig(path: string): ConfigRead {
  if (!existsSync(path)) return { ok: false, problem: { code: "missing", message: `${path} does not exist` } };
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return { ok: false, problem: { code: "not_json", message: `${path}: ${(error as Error).message}` } };
  }
  return parseBoxConfig(document);
}

/**
 * Writes `bytes` to `path` so that after a power cut the file holds either the old or the new content:
 * temporary file written and fsynced, renamed over the target, directory fsynced (rename durability).
 * Mode 0600: the file may name or hold secrets.
 */
export function writeFileAtomically(path: string, bytes: string | Uint8Array, options: { keepPrevious?: string | undefined } = {}): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (options.keepPrevious !== undefined && existsSync(path)) copyFileSync(path, options.keepPrevious);
  renameSync(temporary, path);
  const dir = openSync(dirname(path), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export function writeBoxConfig(path: string, config: BoxConfig): void {
  const checked = BoxConfig.parse(config);
  writeFileAtomically(path, `${JSON.stringify(checked, null, 2)}\n`, { keepPrevious: `${path}.previous` });
}

/**
 * Reads the file and, if it was of an older schema version, rewrites it in the current one, keeping
 * the original as `<path>.v{N}` (an older agent can still be put back with its own file).
 */
export function upgradeBoxConfigFile(path: string): ConfigRead {
  const read = readBoxConfig(path);
  if (!read.ok || read.migratedFrom === undefined) return read;
  copyFileSync(path, `${path}.v${String(read.migratedFrom)}`);
  writeFileAtomically(path, `${JSON.stringify(read.config, null, 2)}\n`);
  return read;
}

/**
 * Puts the previous file back after a configuration that failed to start the box's parts. The failed
 * file is kept as `<path>.failed` for the technician; the previous one is consumed, so a second
 * rollback in a row reports `missing` instead of swapping the two back and forth.
 */
export function rollBackBoxConfig(path: string): ConfigRead {
  const previous = `${path}.previous`;
  if (!existsSync(previous)) return { ok: false, problem: { code: "missing", message: `${previous} does not exist` } };
  const restored = readBoxConfig(previous);
  if (!restored.ok) return { ok: false, problem: { ...restored.problem, message: `the previous configuration is unusable: ${restored.problem.message}` } };
  if (existsSync(path)) renameSync(path, `${path}.failed`);
  renameSync(previous, path);
  return restored;
}
