import type { SqlExecutor, SqlResult, SqlTransaction } from './sql-executor.js';
import { runSqliteStatement, type SqliteConnection, type SqliteStatementResult } from './sqlite-statement.js';

/** The bound of an SQLite call made without a signal, which would otherwise wait out any lock. */
const DEFAULT_DEADLINE_MS = 5000;

/**
 * A better-sqlite3 `Database` (or the getter of one, such as a TypeORM DataSource's) as a `SqlExecutor`, never
 * blocking the event loop for more than a few ms while another connection holds the lock (`runSqliteStatement`).
 *
 * A transaction starts with `BEGIN IMMEDIATE`, taken the same way, and holds the write lock from there: every other
 * statement of the store waits for it to end, and its own statements run synchronously in the driver, so that the
 * host's queries on the same connection (TypeORM shares one) cannot slip into it.
 */
export function sqliteExecutor(
  connection: SqliteConnection | (() => SqliteConnection),
  database?: string,
): SqlExecutor {
  const db = typeof connection === 'function' ? connection : () => connection;
  return {
    engine: 'sqlite',
    database,
    async query(sql, params, signal = AbortSignal.timeout(DEFAULT_DEADLINE_MS)) {
      return resultOf(await runSqliteStatement(db(), sql, params, signal));
    },
    async transaction(work, signal = AbortSignal.timeout(DEFAULT_DEADLINE_MS)) {
      const conn = db();
      await runSqliteStatement(conn, 'BEGIN IMMEDIATE', [], signal);
      const own = { inOwnTransaction: true };
      const tx: SqlTransaction = {
        query: async (sql, params) => resultOf(await runSqliteStatement(conn, sql, params, signal, own)),
      };
      try {
        const result = await work(tx);
        await runSqliteStatement(conn, 'COMMIT', [], signal, own);
        return result;
      } catch (error) {
        if (conn.inTransaction) conn.prepare('ROLLBACK').run();
        throw error;
      }
    },
  };
}

function resultOf({ records, changes }: SqliteStatementResult): SqlResult {
  return { rows: records as Array<Record<string, unknown>>, affected: changes };
}
