/**
 * Plain drivers as `GaplessExecutor`s, for code that holds its transaction's connection itself: a `pg` client, a
 * `mysql2/promise` connection, a `better-sqlite3` database. Structural types: nothing of the drivers is loaded, and
 * the application opens, commits and releases its connection as it always does.
 */
import type { SqliteConnection } from '../sql/sqlite-statement.js';
import type { GaplessExecutor } from './gapless-executor.js';
import { runSqliteGapless } from './sqlite-wait.js';

/** The part of a `pg` `Client` or `PoolClient` used. */
export interface PgClientLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /** `'I'` idle, `'T'` in a transaction, `'E'` in a failed one (pg 8.21 and later; null on the native client). */
  getTransactionStatus?(): string | null;
}

/**
 * A `pg` client (a `PoolClient` from `pool.connect()`, or a `Client`) inside `BEGIN … COMMIT`. Whether a transaction
 * is open is read from the client (`getTransactionStatus()`, pg 8.21 or later).
 */
export function pgGaplessExecutor(client: PgClientLike): GaplessExecutor {
  return {
    engine: 'postgres',
    inTransaction: () => {
      const status = client.getTransactionStatus?.();
      // 'E': the transaction failed already; the statement will say so.
      return status === undefined || status === null ? undefined : status === 'T' || status === 'E';
    },
    query: async (sql, params) => ({
      rows: (await client.query(sql, [...params])).rows as Array<Record<string, unknown>>,
    }),
  };
}

/** The part of a `mysql2/promise` `Connection` or `PoolConnection` used. */
export interface MysqlConnectionLike {
  query(sql: string, params?: unknown[]): Promise<[unknown, unknown]>;
}

/** MySQL's status flags, in every OK packet. */
const SERVER_STATUS_IN_TRANS = 1;
const SERVER_STATUS_AUTOCOMMIT = 2;

/**
 * A `mysql2/promise` connection (`pool.getConnection()`, or `createConnection()`) inside `BEGIN … COMMIT`. Keep
 * `supportBigNumbers` and `bigNumberStrings` on, as for any BIGINT. Whether a transaction is open is read from the
 * status flags of an OK packet (`DO 0`: one round trip more); MariaDB is told from the handshake.
 */
export function mysqlGaplessExecutor(connection: MysqlConnectionLike): GaplessExecutor {
  const handshake = (connection as { connection?: { _handshakePacket?: { serverVersion?: unknown } } }).connection
    ?._handshakePacket;
  const mariadb = /mariadb/i.test(String(handshake?.serverVersion));
  return {
    // Not known to be MariaDB: MySQL's statements, which MariaDB runs too, a little slower.
    engine: mariadb ? 'mariadb' : 'mysql',
    inTransaction: async () => {
      const [header] = await connection.query('DO 0');
      const status = (header as { serverStatus?: unknown }).serverStatus;
      if (typeof status !== 'number') return undefined;
      return (status & SERVER_STATUS_IN_TRANS) !== 0 || (status & SERVER_STATUS_AUTOCOMMIT) === 0;
    },
    query: async (sql, params) => {
      const [result] = await connection.query(sql, [...params]);
      if (Array.isArray(result)) return { rows: result as Array<Record<string, unknown>> };
      const insertId = (result as { insertId?: unknown }).insertId;
      return {
        rows: [],
        insertId: typeof insertId === 'number' || typeof insertId === 'string' ? insertId : undefined,
      };
    },
  };
}

/**
 * A `better-sqlite3` `Database` inside `BEGIN` (better `BEGIN IMMEDIATE`, or take the number before anything else
 * in the transaction: see docs/business-numbers.md). The wait for the write lock does not block the event loop.
 */
export function sqliteGaplessExecutor(db: SqliteConnection): GaplessExecutor {
  return {
    engine: 'sqlite',
    inTransaction: () => db.inTransaction,
    query: (sql, params, waitMs) => runSqliteGapless(db, sql, params, waitMs),
  };
}
