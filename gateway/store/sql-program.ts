import type Database from "better-sqlite3";
import type pg from "pg";

/**
 * One SQL program, two engines. A program is a generator that yields SQL operations and receives
 * their results; the SQLite runner drives it synchronously inside one IMMEDIATE transaction (so
 * nothing else on the connection can interleave), the PostgreSQL runner drives it with awaits on one
 * pooled client inside BEGIN/COMMIT. SQL is written with `?` placeholders, numbered for PostgreSQL.
 * `lock` takes a transaction-scoped advisory lock in PostgreSQL (several gateways) and is a no-op in
 * SQLite, whose IMMEDIATE transaction already holds the only write lock.
 */
export type SqlParam = string | number | null;

export type SqlOp =
  | { readonly kind: "all"; readonly sql: string; readonly params: readonly SqlParam[] }
  | { readonly kind: "run"; readonly sql: string; readonly params: readonly SqlParam[] }
  | { readonly kind: "lock"; readonly key: string };

export type SqlProgram<T> = Generator<SqlOp, T, unknown>;

export function* all<R>(sql: string, params: readonly SqlParam[] = []): SqlProgram<R[]> {
  return (yield { kind: "all", sql, params }) as R[];
}

export function* one<R>(sql: string, params: readonly SqlParam[] = []): SqlProgram<R | undefined> {
  const rows = yield* all<R>(sql, params);
  return rows[0];
}

/** Runs a statement; returns the number of rows it changed. */
export function* run(sql: string, params: readonly SqlParam[] = []): SqlProgram<number> {
  return (yield { kind: "run", sql, params }) as number;
}

export function* lock(key: string): SqlProgram<void> {
  yield { kind: "lock", key };
}

export interface SqlRunner {
  /** Runs a program that only reads, outside a transaction. */
  read<T>(program: () => SqlProgram<T>): Promise<T>;
  /** Runs a program in one transaction: all its writes land or none. */
  write<T>(program: () => SqlProgram<T>): Promise<T>;
}

function driveSync<T>(program: SqlProgram<T>, execute: (op: SqlOp) => unknown): T {
  let step = program.next();
  while (step.done !== true) step = program.next(execute(step.value));
  return step.value;
}

async function driveAsync<T>(program: SqlProgram<T>, execute: (op: SqlOp) => Promise<unknown>): Promise<T> {
  let step = program.next();
  while (step.done !== true) step = program.next(await execute(step.value));
  return step.value;
}

export function sqliteRunner(db: Database.Database): SqlRunner {
  const statements = new Map<string, Database.Statement<SqlParam[]>>();
  const statement = (sql: string): Database.Statement<SqlParam[]> => {
    let prepared = statements.get(sql);
    if (prepared === undefined) {
      prepared = db.prepare<SqlParam[]>(sql);
      statements.set(sql, prepared);
    }
    return prepared;
  };
  const execute = (op: SqlOp): unknown => {
    switch (op.kind) {
      case "all":
        return statement(op.sql).all(...op.params);
      case "run":
        return statement(op.sql).run(...op.params).changes;
      case "lock":
        return undefined;
    }
  };
  return {
    read: (program) => new Promise((resolve) => { resolve(driveSync(program(), execute)); }),
    write: (program) => new Promise((resolve) => { resolve(db.transaction(() => driveSync(program(), execute)).immediate()); }),
  };
}

/** `?` → `$1, $2, ...` (our SQL has no `?` inside literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${String(++n)}`);
}

/** "CWAL" in ASCII: the advisory lock class of the alert back end. */
const ALERT_LOCK_CLASS = 0x4357414c;

export function pgRunner(pool: pg.Pool): SqlRunner {
  const texts = new Map<string, string>();
  const textOf = (sql: string): string => {
    let text = texts.get(sql);
    if (text === undefined) {
      text = numberPlaceholders(sql);
      texts.set(sql, text);
    }
    return text;
  };
  const executeOn = (client: pg.Pool | pg.PoolClient) => async (op: SqlOp): Promise<unknown> => {
    switch (op.kind) {
      case "all":
        return (await client.query(textOf(op.sql), [...op.params])).rows;
      case "run":
        return (await client.query(textOf(op.sql), [...op.params])).rowCount ?? 0;
      case "lock":
        await client.query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || '/' || $2))", [ALERT_LOCK_CLASS, op.key]);
        return undefined;
    }
  };
  return {
    read: (program) => driveAsync(program(), executeOn(pool)),
    async write(program) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        try {
          const result = await driveAsync(program(), executeOn(client));
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK");
          throw error;
        }
      } catch (error) {
        broken = error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}
