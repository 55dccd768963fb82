/**
 * A TypeORM `EntityManager` as a `GaplessExecutor`: statements on its transaction's QueryRunner (SQLite: on the
 * DataSource's one better-sqlite3 connection, its lock wait bounded without blocking the event loop). Duck-typed:
 * nothing of TypeORM is loaded.
 */
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { isMariaDb } from '../typeorm/runner-connection.js';
import type { QueryRunner } from 'typeorm';
import type { SqliteConnection } from '../sql/sqlite-statement.js';
import type { GaplessEngine, GaplessExecutor, GaplessQueryResult } from './gapless-executor.js';
import { runSqliteGapless } from './sqlite-wait.js';

/** The part of a TypeORM DataSource read here. */
interface DataSourceLike {
  readonly options: { readonly type?: unknown };
  readonly driver?: { readonly databaseConnection?: unknown };
}

/** The part of an `EntityManager` read here. */
interface ManagerLike {
  readonly queryRunner?: QueryRunner;
  readonly dataSource?: DataSourceLike;
  readonly connection?: DataSourceLike;
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Whether a value looks like a TypeORM `EntityManager` (its DataSource and `query`). */
export function isTypeOrmManager(value: unknown): boolean {
  const manager = value as Partial<ManagerLike> | null;
  const dataSource = typeof manager === 'object' && manager !== null ? manager.dataSource : undefined;
  return typeof manager?.query === 'function' && typeof dataSource?.options === 'object';
}

/** Per DataSource: whether its MySQL-protocol server is MariaDB (told by the handshake of a connection, once). */
const mariadbServers = new WeakMap<object, boolean>();

/** The executor of `manager`; its engine from the DataSource's driver type (and, for MySQL, the server). */
export async function typeOrmExecutor(value: unknown, method: string): Promise<GaplessExecutor> {
  const manager = value as ManagerLike;
  const dataSource = (manager.dataSource ?? manager.connection)!;
  const type = String(dataSource.options.type);
  const runner = manager.queryRunner;
  if (type === 'better-sqlite3') {
    const db = dataSource.driver?.databaseConnection as SqliteConnection;
    return {
      engine: 'sqlite',
      inTransaction: () => runner?.isTransactionActive === true && db.inTransaction,
      query: (sql, params, waitMs) => runSqliteGapless(db, sql, params, waitMs),
    };
  }
  let engine: GaplessEngine;
  if (type === 'postgres') engine = 'postgres';
  else if (type === 'mysql' || type === 'mariadb') engine = await mysqlEngine(dataSource, runner);
  else {
    throw new InvalidArgumentError(
      'manager',
      `${method} runs on PostgreSQL, MySQL/MariaDB and SQLite (better-sqlite3); this EntityManager's DataSource is ` +
        `of type "${type}".`,
    );
  }
  return {
    engine,
    inTransaction: () => runner?.isTransactionActive === true,
    query: async (sql, params) => {
      if (runner === undefined) return { rows: ((await manager.query(sql, [...params])) ?? []) as Rows };
      const result = await runner.query(sql, [...params], true);
      return { rows: (result.records ?? []) as Rows, insertId: insertIdOf(result.raw) };
    },
  };
}

type Rows = GaplessQueryResult['rows'];

async function mysqlEngine(dataSource: DataSourceLike, runner: QueryRunner | undefined): Promise<GaplessEngine> {
  let mariadb = mariadbServers.get(dataSource);
  if (mariadb === undefined && runner !== undefined) {
    mariadb = await isMariaDb(runner);
    mariadbServers.set(dataSource, mariadb);
  }
  // Not known yet (no runner: an audit outside a transaction): MySQL's statements, which MariaDB runs too.
  return mariadb ? 'mariadb' : 'mysql';
}

function insertIdOf(raw: unknown): GaplessQueryResult['insertId'] {
  const id = (raw as { insertId?: unknown } | null)?.insertId;
  return typeof id === 'number' || typeof id === 'string' || typeof id === 'bigint' ? id : undefined;
}
