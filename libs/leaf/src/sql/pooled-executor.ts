import { watchOpening } from './opening-connection.js';
import type { SqlEngine, SqlExecutor, SqlResult, SqlTransaction } from './sql-executor.js';

/**
 * A pool of a server engine as the adapters describe it: how to get a connection, run a statement on it, give it
 * back, and throw away one that stopped answering. `pooledExecutor` makes a `SqlExecutor` of it, with the signal
 * handling every adapter needs in one place.
 */
export interface SqlPool<C> {
  readonly engine: SqlEngine;
  readonly database?: string;
  /**
   * Where a pg pool is (`{ master: pool }`), so that a client it begins opening for an abandoned call is found and its
   * socket destroyed (see `watchOpening`); mysql2's sockets are seen without it.
   */
  readonly driver?: unknown;
  /** A connection of the pool; it must create the socket of a new one synchronously, as pg and mysql2 pools do. */
  acquire(): Promise<C>;
  run(connection: C, sql: string, params: readonly unknown[]): Promise<SqlResult>;
  /** Gives a healthy connection back to the pool. */
  release(connection: C): void | Promise<void>;
  /** Takes a connection out of the pool and closes it without waiting for its peer: it stopped answering. */
  discard(connection: C): void;
  /** For a MySQL-protocol pool: the server's engine, from the connection's handshake or `SELECT VERSION()`. */
  identify?(connection: C): Promise<SqlEngine>;
}

/** A `SqlExecutor` over a pool: a connection per call, discarded rather than given back when its signal fires. */
export function pooledExecutor<C>(pool: SqlPool<C>): SqlExecutor {
  let engine = pool.engine;
  let identified: Promise<SqlEngine> | undefined;
  const identify = pool.identify;
  return {
    get engine() {
      return engine;
    },
    database: pool.database,
    serverEngine:
      identify === undefined
        ? undefined
        : (signal) => {
            identified ??= onConnection(pool, signal, (connection) => identify(connection)).then(
              (told) => (engine = told),
              (error: unknown) => {
                identified = undefined; // asked again by the next statement
                throw error;
              },
            );
            return identified;
          },
    query: (sql, params, signal) => onConnection(pool, signal, (connection) => pool.run(connection, sql, params)),
    transaction: (work, signal) => onConnection(pool, signal, (connection) => inTransaction(pool, connection, work)),
  };
}

/** A connection could not be put back as it was (its ROLLBACK failed): the pool must not get it again. */
class SpoiledConnection extends Error {}

async function inTransaction<C, T>(pool: SqlPool<C>, connection: C, work: (tx: SqlTransaction) => Promise<T>) {
  const tx: SqlTransaction = { query: (sql, params) => pool.run(connection, sql, params) };
  await pool.run(connection, 'BEGIN', []);
  let result: T;
  try {
    result = await work(tx);
  } catch (error) {
    await pool.run(connection, 'ROLLBACK', []).catch(() => {
      throw new SpoiledConnection('ROLLBACK failed', { cause: error });
    });
    throw error;
  }
  await pool.run(connection, 'COMMIT', []);
  return result;
}

/**
 * Runs `work` on a connection of the pool and gives the connection back; when `signal` fires first, rejects at once
 * with its reason and discards the connection (or, still being opened, destroys its socket).
 */
async function onConnection<C, T>(
  pool: SqlPool<C>,
  signal: AbortSignal | undefined,
  work: (connection: C) => Promise<T>,
): Promise<T> {
  signal?.throwIfAborted();
  let acquired!: Promise<C>;
  // The connection is asked for inside watchOpening, so that a socket the pool opens for it is known.
  const opening = watchOpening(pool.driver, () => (acquired = pool.acquire()));
  let abandoned = false;
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      abandoned = true;
      opening.abandon();
      // Still connecting or querying: thrown away once it settles, never given back to the pool.
      acquired.then(
        (connection) => pool.discard(connection),
        () => undefined,
      );
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined); // the race below may have settled already
  let spoiled = false;
  try {
    return await Promise.race([acquired.then(work), aborted]);
  } catch (error) {
    if (!(error instanceof SpoiledConnection)) throw error;
    spoiled = true;
    throw error.cause;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!abandoned) {
      const connection = await acquired.catch(() => undefined);
      if (connection !== undefined) {
        if (spoiled) pool.discard(connection);
        else await pool.release(connection);
      }
    }
  }
}
