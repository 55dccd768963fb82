/**
 * A statement of a gapless number on a better-sqlite3 connection, inside the caller's transaction. SQLite has no
 * server to bound a lock wait, and better-sqlite3 waits for a lock on the main thread: the busy timeout is cut to a
 * few milliseconds around each attempt and the attempts spaced by timers, so the event loop keeps turning (the other
 * connection holding the lock may be this process's own) until `waitMs` runs out.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { SqliteConnection, SqliteStatement } from '../sql/sqlite-statement.js';
import type { GaplessQueryResult } from './gapless-executor.js';

/** Longest one attempt waits on the main thread. */
const BUSY_MS = 5;
/** Longest pause between attempts; pauses double from 1 ms up to it. */
const MAX_PAUSE_MS = 25;

/** The database stayed locked by another connection for the whole wait; nothing was changed. */
export class SqliteLockWaitError extends Error {
  override readonly name = 'SqliteLockWaitError';

  constructor(
    readonly waitedMs: number,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `The SQLite database stayed locked by another connection for ${Math.round(waitedMs)} ms (${attempts} ` +
        'attempts): another transaction is writing to it.',
      { cause },
    );
  }
}

const statements = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

/**
 * Runs `sql` on `db`, in whatever transaction is open on it, retrying while another connection holds the lock it
 * needs, for at most `waitMs`. `SQLITE_BUSY_SNAPSHOT` (a WAL snapshot older than the last commit) is thrown at once:
 * only a new transaction cures it.
 */
export async function runSqliteGapless(
  db: SqliteConnection,
  sql: string,
  params: readonly unknown[],
  waitMs: number,
): Promise<GaplessQueryResult> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return runOnce(db, sql, params);
    } catch (error) {
      if (!isBusy(error)) throw error;
      const waited = performance.now() - started;
      if (waited >= waitMs) throw new SqliteLockWaitError(waited, attempt, error);
      await delay(Math.min(MAX_PAUSE_MS, 2 ** Math.min(attempt - 1, 10), Math.max(1, waitMs - waited)));
    }
  }
}

/** One attempt under a busy timeout of a few ms, put back after it; synchronous, so nothing runs in between. */
function runOnce(db: SqliteConnection, sql: string, params: readonly unknown[]): GaplessQueryResult {
  const previous = Number(db.pragma('busy_timeout', { simple: true }));
  db.pragma(`busy_timeout = ${BUSY_MS}`);
  try {
    let cache = statements.get(db);
    if (cache === undefined) statements.set(db, (cache = new Map()));
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      if (cache.size >= 32) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
    }
    if (!statement.reader) {
      statement.run(...params);
      return { rows: [] };
    }
    return { rows: statement.all(...params) as Array<Record<string, unknown>> };
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}

/** `SQLITE_BUSY` and `SQLITE_LOCKED` pass once the other side finishes; a stale snapshot does not. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)($|_)/.test(code) && code !== 'SQLITE_BUSY_SNAPSHOT';
}
