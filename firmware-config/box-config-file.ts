import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { BoxConfig, BOX_CONFIG_VERSION } from "./box-config.js";

/**
 * Reading and writing the box's configuration file. Reading reports a typed problem instead of
 * throwing; writing is atomic (temporary file, then rename) and keeps the file it replaces as
 * `<path>.previous`, so a configuration that fails to start the box's parts can be rolled back.
 */
export type ConfigProblem =
  | { readonly code: "missing"; readonly message: string }
  | { readonly code: "not_json"; readonly message: string }
  | { readonly code: "version_too_new"; readonly message: string }
  | { readonly code: "invalid"; readonly message: string };

export type ConfigRead = { readonly ok: true; readonly config: BoxConfig } | { readonly ok: false; readonly problem: ConfigProblem };

/** Validates a parsed document (from a file or a push) as a box configuration. */
export function parseBoxConfig(document: unknown): ConfigRead {
  const version = typeof document === "object" && document !== null ? (document as { configVersion?: unknown }).configVersion : undefined;
  if (typeof version === "number" && version > BOX_CONFIG_VERSION) {
    return { ok: false, problem: { code: "version_too_new", message: `configuration version ${version} is newer than this agent's ${BOX_CONFIG_VERSION}` } };
  }
  const parsed = BoxConfig.safeParse(document);
  if (parsed.success) return { ok: true, config: parsed.data };
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

export function writeBoxConfig(path: string, config: BoxConfig): void {
  const checked = BoxConfig.parse(config);
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
  if (existsSync(path)) renameSync(path, `${path}.previous`);
  renameSync(temporary, path);
}

/** Puts the previous file back (after a configuration that failed to start the box's parts). */
export function rollBackBoxConfig(path: string): ConfigRead {
  const previous = `${path}.previous`;
  if (!existsSync(previous)) return { ok: false, problem: { code: "missing", message: `${previous} does not exist` } };
  renameSync(previous, path);
  return readBoxConfig(path);
}
