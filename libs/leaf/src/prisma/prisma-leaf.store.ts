import type { SqlEngine, SqlExecutor, SqlResult, SqlTransaction } from '../sql/sql-executor.js';
import { isMariaDbVersion } from '../sql/sql-executor.js';
import { raceSignal } from '../sql/signal-race.js';
import { SqlLeafStore, type SqlLeafStoreOptions } from '../sql/sql-leaf.store.js';

/** Raw SQL of a Prisma client or of its interactive transaction; structural, so nest-leaf needs no generated client. */
export interface PrismaRawLike {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** The part of a `PrismaClient` used: raw SQL, and an interactive transaction where a statement needs one. */
export interface PrismaClientLike extends PrismaRawLike {
  $transaction<R>(
    work: (tx: PrismaRawLike) => Promise<R>,
    options?: { maxWait?: number; timeout?: number },
  ): Promise<R>;
}

export interface PrismaLeafStoreOptions extends SqlLeafStoreOptions {
  /**
   * The engine behind the client: `'postgres'`, `'mysql'` (MySQL or MariaDB, told by `SELECT VERSION()`) or
   * `'sqlite'`. Default: the client's datasource provider.
   */
  readonly engine?: SqlEngine;
}

/** Prisma's provider names, as a generated client keeps them. */
const PROVIDERS: Record<string, SqlEngine> = { postgresql: 'postgres', mysql: 'mysql', sqlite: 'sqlite' };

/**
 * Prisma's raw API hands back either rows (`$queryRawUnsafe`) or a count (`$executeRawUnsafe`): a statement that
 * returns rows (a SELECT, an `… RETURNING`) goes to the first, any other to the second.
 */
function returnsRows(sql: string): boolean {
  return /^\s*select\b|\breturning\b/i.test(sql);
}

/**
 * Prisma wraps the driver's error (`P2010`, the driver's own code in `meta.driverAdapterError.cause`): the store reads
 * the engine's codes (a duplicate key, a missing table, the server's bound), so it gets them back as a driver would
 * give them, `code` (PostgreSQL, SQLite) and `errno` (MySQL), with Prisma's error as the cause.
 */
function driverError(error: unknown): unknown {
  const cause = (
    error as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; originalMessage?: unknown } } } }
  )?.meta?.driverAdapterError?.cause;
  if (cause?.originalCode === undefined) return error;
  const code = String(cause.originalCode);
  return Object.assign(new Error(String(cause.originalMessage ?? code), { cause: error }), {
    code,
    ...(/^\d+$/.test(code) ? { errno: Number(code) } : {}),
  });
}

/** One statement through Prisma's raw API, its result and errors as a driver gives them (`SqlResult`, `code`). */
export async function runPrismaStatement(
  raw: PrismaRawLike,
  engine: SqlEngine,
  sql: string,
  params: readonly unknown[],
): Promise<SqlResult> {
  try {
    return await runRaw(raw, engine, sql, params);
  } catch (error) {
    throw driverError(error);
  }
}

async function runRaw(
  raw: PrismaRawLike,
  engine: SqlEngine,
  sql: string,
  params: readonly unknown[],
): Promise<SqlResult> {
  if (returnsRows(sql)) return { rows: await raw.$queryRawUnsafe<Array<Record<string, unknown>>>(sql, ...params) };
  const affected = await raw.$executeRawUnsafe(sql, ...params);
  if (engine !== 'mysql' && engine !== 'mariadb') return { affected, rows: [] };
  // The OK packet's insertId (LAST_INSERT_ID(expr) of a reservation) is not handed out: read on the same session.
  const [row] = await raw.$queryRawUnsafe<Array<{ id: unknown }>>('SELECT CAST(LAST_INSERT_ID() AS CHAR) AS id');
  return { affected, rows: [], insertId: String(row?.id) };
}

/**
 * A `PrismaClient` (Prisma 6 or 7, any driver adapter) as a `SqlExecutor`: `$queryRawUnsafe` / `$executeRawUnsafe`,
 * and an interactive `$transaction` for what needs one session (on MySQL/MariaDB every write, whose
 * `LAST_INSERT_ID()` is read in the same transaction).
 *
 * Prisma hands out no connection: a statement abandoned by its signal runs to its end on Prisma's pool instead of
 * being cut off, so bound the pool (the driver adapter's `connectionTimeoutMillis`, `statement_timeout`, SQLite's
 * `timeout`). The server's own bound on the UPDATEs still rolls back one that waits for a row lock.
 */
export function prismaExecutor(prisma: PrismaClientLike, engine?: SqlEngine): SqlExecutor {
  const provider = (prisma as { _activeProvider?: unknown })._activeProvider;
  let known = engine ?? PROVIDERS[String(provider)];
  if (known === undefined) {
    throw new TypeError(
      `PrismaLeafStore cannot tell the engine of this client (provider ${String(provider)}): pass { engine: ` +
        "'postgres' | 'mysql' | 'sqlite' }.",
    );
  }
  const inTransaction = <T>(work: (tx: SqlTransaction) => Promise<T>) =>
    prisma.$transaction((tx) => work({ query: (sql, params) => runPrismaStatement(tx, known!, sql, params) }));
  return {
    get engine() {
      return known!;
    },
    serverEngine:
      known === 'mysql'
        ? async (signal) => {
            const [row] = await raceSignal(
              prisma.$queryRawUnsafe<Array<{ v: unknown }>>('SELECT VERSION() AS v'),
              signal,
            );
            return (known = isMariaDbVersion(row?.v) ? 'mariadb' : 'mysql');
          }
        : undefined,
    query: (sql, params, signal) => {
      const mysqlWrite = (known === 'mysql' || known === 'mariadb') && !returnsRows(sql);
      const work = mysqlWrite
        ? inTransaction((tx) => tx.query(sql, params))
        : runPrismaStatement(prisma, known!, sql, params);
      return raceSignal(work, signal);
    },
    transaction: (work, signal) => raceSignal(inTransaction(work), signal),
  };
}

/**
 * `leaf_alloc` through a `PrismaClient`: `LeafModule.forRoot({ store: new PrismaLeafStore(prisma), … })`. Create the
 * table once with the statement of `createTableSql(engine)` (in a migration of yours: `prisma migrate diff` leaves a
 * table out of the schema alone).
 */
export class PrismaLeafStore extends SqlLeafStore {
  constructor(prisma: PrismaClientLike, options: PrismaLeafStoreOptions = {}) {
    if (typeof (prisma as Partial<PrismaClientLike> | null)?.$queryRawUnsafe !== 'function') {
      throw new TypeError('PrismaLeafStore takes a PrismaClient (new PrismaClient({ adapter })).');
    }
    super(prismaExecutor(prisma, options.engine), options, {
      name: 'PrismaLeafStore',
      createTable:
        "Create it once with the statement of createTableSql('<engine>') from nest-leaf/prisma, in a migration " +
        '(prisma migrate dev --create-only, then paste it in).',
    });
  }
}
