/**
 * What `SqlLeafStore` needs of a data layer: a statement run on a connection of a pool, abandoned when a signal
 * fires, and a few statements in a transaction of their own. Every adapter (TypeORM, plain drivers, Prisma, …) is one
 * object of this shape; the SQL of every engine, the server's bound on the UPDATEs and the errors stay in the store.
 * The gapless feature's `GaplessExecutor` is the same idea inside the caller's own transaction, and shares its engine
 * names and its result.
 */

/** The engines `leaf_alloc` runs on. `'mysql'` is MySQL 8, or a MySQL-protocol server not known to be MariaDB. */
export type SqlEngine = 'postgres' | 'mariadb' | 'mysql' | 'sqlite';

/** What one statement gave back. */
export interface SqlResult {
  /** The rows of a `SELECT` or of an `… RETURNING`; empty otherwise. */
  readonly rows: ReadonlyArray<Record<string, unknown>>;
  /** Rows an `INSERT`, `UPDATE` or `DELETE` changed (MySQL: matched). */
  readonly affected?: number;
  /** MySQL/MariaDB: `insertId` of the OK packet, which carries `LAST_INSERT_ID(expr)`. */
  readonly insertId?: number | string | bigint;
}

/** One connection inside a transaction: statements run in order on it, until the transaction ends. */
export interface SqlTransaction {
  /** Parameters positional: `$1` on PostgreSQL, `?` elsewhere. */
  query(sql: string, params: readonly unknown[]): Promise<SqlResult>;
}

/**
 * A pool (or one connection) of the application's, as `SqlLeafStore` runs its statements on it.
 *
 * **Signals.** When `signal` fires, `query` and `transaction` reject at once with `signal.reason`, and the connection
 * they held is discarded, never returned to the pool: a connection that stopped answering must not be handed to the
 * next statement (`pooledExecutor` does this for any pool). A connection still being opened is abandoned too, so the
 * pool's end never waits for its handshake. Without a signal a statement runs until the driver gives up.
 *
 * **SQLite.** better-sqlite3 waits for a lock on the main thread: an SQLite executor runs its statements without
 * blocking the event loop (`sqliteExecutor`), and its transactions hold the write lock from their `BEGIN IMMEDIATE`.
 */
export interface SqlExecutor {
  /** The engine the statements are written for; a MySQL-protocol pool may say `'mysql'` until `serverEngine` tells. */
  readonly engine: SqlEngine;
  /** The database's name, for messages (`leaf_alloc in the postgres database "shop"`); optional. */
  readonly database?: string;
  /**
   * The engine of the server itself, asked once, for a MySQL-protocol pool (MySQL or MariaDB, which bound an UPDATE
   * differently): from a connection's handshake, or `SELECT VERSION()`. Left out, `engine` is taken as it is.
   */
  serverEngine?(signal?: AbortSignal): Promise<SqlEngine>;
  /** Runs one statement, in a transaction of its own (autocommit), on any connection of the pool. */
  query(sql: string, params: readonly unknown[], signal?: AbortSignal): Promise<SqlResult>;
  /**
   * Runs `work` in a transaction on one connection: committed when it resolves, rolled back when it rejects, and the
   * connection discarded when `signal` fires first (its transaction ends with it, unapplied).
   */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** Whether a MySQL-protocol server's version string (`5.5.5-10.11.6-MariaDB-…`, `8.4.3`) is MariaDB's. */
export function isMariaDbVersion(version: unknown): boolean {
  return /mariadb/i.test(String(version));
}
