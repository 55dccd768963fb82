/**
 * better-sqlite3 runs every statement synchronously, and its busy handler sleeps on the main thread: with
 * TypeORM's default `timeout` of 5000 ms, a write lock held by another process freezes the whole event loop
 * (health checks, HTTP, Leaf's own timers) for up to 5 s per statement. The statements of `leaf_alloc` run
 * here instead, with the busy wait cut to a few milliseconds and the retries spaced by timers.
 */

import { setTimeout as delay } from 'node:timers/promises';

/**
 * The part of a better-sqlite3 `Database` used here. Structural, so that nest-leaf's types need neither
 * better-sqlite3 nor its type package, which hosts on MySQL or PostgreSQL do not install.
 */
export interface SqliteConnection {
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** The part of a better-sqlite3 `Statement` used here. */
export interface SqliteStatement {
  readonly reader: boolean;
  readonly readonly: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint };
}

export interface SqliteStatementOptions {
  /** Longest one attempt may wait on the main thread for a lock. Default 5 ms. */
  readonly busyMs?: number;
  /** Longest pause between attempts; pauses double from 1 ms up to it. Default 50 ms. */
  readonly maxDelayMs?: number;
  /** The statement belongs to the transaction open on the connection (`sqliteExecutor`'s own): run it inside it. */
  readonly inOwnTransaction?: boolean;
}

export interface SqliteStatementResult {
  /** The rows of a statement that returns some (`SELECT`, `… RETURNING`); empty otherwise. */
  readonly records: unknown[];
  /** Rows inserted, updated or deleted; 0 for a `SELECT`. */
  readonly changes: number;
}

/**
 * The statement could not run before the signal aborted, because the database file stayed locked (or the
 * connection stayed inside a transaction of the host's). Nothing was changed. `cause` is the signal's reason.
 */
export class SqliteBusyError extends Error {
  override readonly name = 'SqliteBusyError';

  constructor(
    message: string,
    /** Attempts made; 0 when the connection never left the host's transaction. */
    readonly attempts: number,
    readonly waitedMs: number,
    /** The last `SQLITE_BUSY` / `SQLITE_LOCKED` error, when there was one. */
    readonly lastError: unknown,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_BUSY_MS = 5;
const DEFAULT_MAX_DELAY_MS = 50;

/** Prepared statements per connection: a statement the store runs again skips SQLite's parser. */
const statements = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();
/** INSERTs of many tags differ by their number of rows; the cache must not grow with them. */
const MAX_CACHED_STATEMENTS = 64;

/**
 * Runs one statement on the DataSource's own better-sqlite3 connection without blocking the event loop for
 * much more than `busyMs` at a time. While another connection holds the lock it needs, it retries after
 * growing pauses until it runs or `signal` aborts.
 *
 * Rejects with `signal.reason` when the signal had aborted before anything was tried, with `SqliteBusyError`
 * when it aborted while waiting for a lock, and at once with the driver's own error for anything else
 * (a missing table, a constraint, a closed connection).
 */
export async function runSqliteStatement(
  db: SqliteConnection,
  sql: string,
  params: readonly unknown[],
  signal: AbortSignal,
  {
    busyMs = DEFAULT_BUSY_MS,
    maxDelayMs = DEFAULT_MAX_DELAY_MS,
    inOwnTransaction = false,
  }: SqliteStatementOptions = {},
): Promise<SqliteStatementResult> {
  const started = performance.now();
  let attempts = 0;
  let lastError: unknown;
  let waitedForHost = false;
  for (let round = 0; ; round++) {
    if (signal.aborted) {
      if (attempts === 0 && !waitedForHost) throw signal.reason;
      throw busyError(attempts, performance.now() - started, lastError, waitedForHost, signal.reason);
    }
    // TypeORM hands every caller the same connection. A statement run while the host app is between the
    // statements of its own transaction would join it, and that transaction's rollback would take back a
    // segment whose IDs were already handed out: wait for it to end instead.
    if (db.inTransaction && !inOwnTransaction) {
      waitedForHost = true;
    } else {
      attempts++;
      try {
        return runOnce(db, sql, params, busyMs);
      } catch (error) {
        if (!isBusy(error)) throw error;
        lastError = error;
      }
    }
    // A timer, not a loop: the event loop runs in between. An abort ends the pause at once (and the loop above).
    await delay(Math.min(maxDelayMs, 2 ** Math.min(round, 20)), undefined, { signal }).catch(() => undefined);
  }
}

/**
 * One attempt, with the busy timeout lowered for this statement only: the host's own queries on the
 * connection keep theirs. Synchronous from start to end, so no other query can run in between.
 */
function runOnce(db: SqliteConnection, sql: string, params: readonly unknown[], busyMs: number): SqliteStatementResult {
  const previous = Number(db.pragma('busy_timeout', { simple: true }));
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyMs))}`);
  try {
    const statement = prepared(db, sql);
    if (statement.reader) {
      const records = statement.all(...params);
      // `UPDATE … RETURNING` yields one row per changed row; a SELECT changes nothing.
      return { records, changes: statement.readonly ? 0 : records.length };
    }
    // With safeIntegers on, `changes` may be a bigint; it is a row count, far below 2^53.
    return { records: [], changes: Number(statement.run(...params).changes) };
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}

function prepared(db: SqliteConnection, sql: string): SqliteStatement {
  let cache = statements.get(db);
  if (cache === undefined) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (statement === undefined) {
    // Preparing reads the schema, which can itself meet a lock: it runs under the lowered busy timeout too.
    statement = db.prepare(sql);
    if (cache.size >= MAX_CACHED_STATEMENTS) cache.delete(cache.keys().next().value as string);
    cache.set(sql, statement);
  }
  return statement;
}

/**
 * `SQLITE_BUSY` (another connection holds a lock this statement needs) and `SQLITE_LOCKED` (a conflict
 * inside the same connection or shared cache), with their extended codes: both pass once the other side
 * finishes, and a failed autocommit statement has changed nothing, so running it again is safe.
 */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code);
}

function busyError(
  attempts: number,
  waitedMs: number,
  lastError: unknown,
  waitedForHost: boolean,
  reason: unknown,
): SqliteBusyError {
  const waited = Math.round(waitedMs);
  const message =
    lastError !== undefined
      ? `The SQLite database stayed locked by another connection or process for ${waited} ms ` +
        `(${attempts} attempt${attempts === 1 ? '' : 's'}); the leaf_alloc statement did not run. ` +
        'Look for a long write transaction (BEGIN IMMEDIATE/EXCLUSIVE) on the same file.'
      : `The DataSource's SQLite connection stayed inside a transaction of the application for ${waited} ms; ` +
        'the leaf_alloc statement did not run, since a rollback of that transaction would undo it. ' +
        'Do not wait for an ID inside a transaction on the same SQLite DataSource.';
  return new SqliteBusyError(message, attempts, waitedMs, lastError, { cause: reason });
}
