import type { BoxConfig } from "./box-config.js";
import { rollBackBoxConfig, writeBoxConfig, type ConfigProblem } from "./box-config-file.js";

/**
 * Applying a new configuration with rollback, for the agent: the new file is written (the old one
 * kept), the box's parts are started with it, and if they fail to start the old file is put back
 * and the parts are started again with it. The outcome says which configuration runs.
 */
export type ConfigApplyOutcome =
  | { readonly applied: true; readonly config: BoxConfig }
  | {
      readonly applied: false;
      readonly reason: "start_failed";
      /** Why the new configuration failed to start. */
      readonly detail: string;
      /** The configuration running now (the previous one), or the problem that prevented rolling back. */
      readonly running: { readonly ok: true; readonly config: BoxConfig } | { readonly ok: false; readonly problem: ConfigProblem };
    };

export async function applyBoxConfig(path: string, next: BoxConfig, startParts: (config: BoxConfig) => Promise<void>): Promise<ConfigApplyOutcome> {
  writeBoxConfig(path, next);
  try {
    await startParts(next);
    return { applied: true, config: next };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const restored = rollBackBoxConfig(path);
    if (!restored.ok) return { applied: false, reason: "start_failed", detail, running: restored };
    try {
      await startParts(restored.config);
    } catch (again) {
      const message = `the previous configuration failed to start too: ${again instanceof Error ? again.message : String(again)}`;
      return { applied: false, reason: "start_failed", detail, running: { ok: false, problem: { code: "invalid", message } } };
    }
    return { applied: false, reason: "start_failed", detail, running: { ok: true, config: restored.config } };
  }
}
