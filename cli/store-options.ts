import { Option, type Command } from "commander";
import type { StoreConfig } from "../gateway/gateway-config.js";

/** --sqlite / --pg / --pg-schema, shared by every command that opens the gateway's store. */
export function addStoreOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--sqlite <path>", "SQLite database file (default store)").env("CAREWITNESS_SQLITE").default(".carewitness/gateway.db"),
    )
    .addOption(new Option("--pg <url>", "PostgreSQL URL instead of SQLite (several gateways)").env("CAREWITNESS_PG_URL"))
    .addOption(new Option("--pg-schema <name>", "PostgreSQL schema (created if absent)").env("CAREWITNESS_PG_SCHEMA"));
}

export function storeConfigFrom(options: { sqlite: string; pg?: string; pgSchema?: string }): StoreConfig {
  if (options.pg !== undefined) {
    return { kind: "postgres", url: options.pg, ...(options.pgSchema === undefined ? {} : { schema: options.pgSchema }) };
  }
  return { kind: "sqlite", path: options.sqlite };
}

export function parseIntOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(value)}`);
    return n;
  };
}
