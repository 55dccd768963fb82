/**
 * Where a gapless number is taken: the caller's own transaction, seen through a small executor, so that any data
 * layer can carry it. TypeORM's `EntityManager` is understood as it is (typeorm-executor.ts); plain drivers are
 * wrapped by the adapters of driver-executors.ts; another layer (a Prisma interactive transaction, Knex's `trx`) needs
 * an object of this shape and nothing else.
 */
import { describeValue } from '../errors/describe-value.js';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import type { SqlEngine, SqlResult } from '../sql/sql-executor.js';

/**
 * The engines gapless numbers run on; each has its own statements and its own way of bounding a lock wait. The same
 * names as `SqlExecutor`'s, the store's side of the same idea.
 */
export type GaplessEngine = SqlEngine;

/** Every `GaplessEngine`, for checking one. */
export const GAPLESS_ENGINES: readonly GaplessEngine[] = ['postgres', 'mariadb', 'mysql', 'sqlite'];

/**
 * What a statement gave back: its rows (a `SELECT`, a `RETURNING`), and on MySQL/MariaDB the OK packet's insertId
 * (left out, it is selected). The result of `SqlExecutor` too, so one adapter's `query` serves both.
 */
export type GaplessQueryResult = SqlResult;

/**
 * One connection of the caller's, inside the caller's transaction: the extension point for data layers.
 * `pgGaplessExecutor`, `mysqlGaplessExecutor` and `sqliteGaplessExecutor` wrap the plain drivers.
 */
export interface GaplessExecutor {
  /** `'postgres'`, `'mariadb'`, `'mysql'` (MySQL 8, or a server not known to be MariaDB) or `'sqlite'`. */
  readonly engine: GaplessEngine;
  /**
   * Whether a transaction is open on the connection. `undefined` when the data layer cannot tell: the number is then
   * refused, since outside a transaction it would commit on its own and a rollback of the caller's work leave a gap.
   */
  inTransaction(): boolean | undefined | Promise<boolean | undefined>;
  /**
   * Runs one statement on the transaction's connection, parameters positional (`$1` on PostgreSQL, `?` elsewhere).
   * `waitMs` bounds a wait for a lock where the engine has no bound of its own (SQLite); the statements of the other
   * engines carry their bound themselves.
   */
  query(sql: string, params: readonly unknown[], waitMs: number): Promise<GaplessQueryResult>;
}

/**
 * The part of a TypeORM `EntityManager` the library needs to know it by; structural, so that its types need no
 * TypeORM. Pass the manager of the transaction: `dataSource.transaction(async (manager) => …)`.
 */
export interface GaplessEntityManager {
  readonly queryRunner?: unknown;
  // The parameter list as TypeORM declares it, so that any EntityManager fits.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(query: string, parameters?: any[]): Promise<unknown>;
}

/** The caller's transaction: a TypeORM `EntityManager` of an open transaction, or a `GaplessExecutor`. */
export type GaplessManager = GaplessEntityManager | GaplessExecutor;

/** The second argument of `nextGapless` and `nextGaplessCode`. */
export interface GaplessCall {
  /** The transaction the number belongs to: committed with it, given back by its rollback. */
  readonly manager: GaplessManager;
}

export function isGaplessExecutor(value: unknown): value is GaplessExecutor {
  const candidate = value as Partial<GaplessExecutor> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    GAPLESS_ENGINES.includes(candidate.engine as GaplessEngine) &&
    typeof candidate.query === 'function' &&
    typeof candidate.inTransaction === 'function'
  );
}

const HOW =
  'the EntityManager of an open TypeORM transaction (dataSource.transaction(async (manager) => …)), or a ' +
  'GaplessExecutor (pgGaplessExecutor(client), mysqlGaplessExecutor(connection), sqliteGaplessExecutor(db), ' +
  'prismaGaplessExecutor(tx, engine), or an ' +
  "object { engine, inTransaction(), query() } of your data layer's)";

/** `manager` is missing, or not something a number can be taken through. */
export function notAManager(method: string, bizTag: string, value: unknown): InvalidArgumentError {
  const raw = typeof (value as { query?: unknown } | null)?.query === 'function';
  return new InvalidArgumentError(
    'manager',
    `${method}("${bizTag}", { manager }) takes its number inside your transaction: manager must be ${HOW}; got ` +
      `${raw ? 'a driver connection: wrap it in the adapter of its driver' : describeValue(value)}.`,
  );
}

/** `manager` is not inside an open transaction, or cannot tell whether it is. */
export function notInTransaction(method: string, bizTag: string, known: false | undefined): InvalidArgumentError {
  const why =
    known === false
      ? 'manager is not inside an open transaction (dataSource.manager, or a QueryRunner before startTransaction)'
      : "manager's inTransaction() cannot tell whether a transaction is open on its connection";
  return new InvalidArgumentError(
    'manager',
    `${method}("${bizTag}") refused: ${why}. Outside a transaction the number would commit on its own, and a ` +
      'failure of your work would leave a gap. Take it inside the transaction that writes the numbered row: ' +
      `await dataSource.transaction(async (manager) => { const number = await ids.${method}('${bizTag}', ` +
      '{ manager }); await manager.insert(Invoice, { number, … }); }).',
  );
}
