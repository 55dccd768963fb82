import type { EntityManager } from '@mikro-orm/core';
import { raceSignal } from '../sql/signal-race.js';
import { isMariaDbVersion, type SqlEngine, type SqlExecutor, type SqlResult } from '../sql/sql-executor.js';
import { SqlLeafStore, type SqlLeafStoreOptions } from '../sql/sql-leaf.store.js';
import { toQuestionMarks } from './question-marks.js';

export interface MikroOrmLeafStoreOptions extends SqlLeafStoreOptions {
  /**
   * The engine behind the entity manager: `'postgres'`, `'mysql'` (MySQL or MariaDB, told by `SELECT VERSION()`),
   * `'mariadb'` or `'sqlite'`. Default: from the driver's package (`pg`, `mysql2`, `mariadb`, `better-sqlite3`,
   * `sqlite3`, `libsql`).
   */
  readonly engine?: SqlEngine;
}

/** The driver packages of MikroORM's SQL drivers (`driver.getDependencies()`), and the engine each speaks to. */
const DRIVER_PACKAGES: Record<string, SqlEngine> = {
  pg: 'postgres',
  mysql2: 'mysql',
  mariadb: 'mariadb',
  'better-sqlite3': 'sqlite',
  sqlite3: 'sqlite',
  libsql: 'sqlite',
};

/** A raw statement's connection as MikroORM's SQL drivers give it (`em.getConnection()`). */
type Connection = ReturnType<EntityManager['getConnection']>;

/** Whether a statement hands rows back (a SELECT, an `… RETURNING`): MikroORM then returns them as an array. */
function returnsRows(sql: string): boolean {
  return /^\s*select\b|\breturning\b/i.test(sql);
}

async function run(
  connection: Connection,
  engine: SqlEngine,
  sql: string,
  params: readonly unknown[],
  trx?: unknown,
): Promise<SqlResult> {
  const [text, values] = engine === 'postgres' ? toQuestionMarks(sql, params) : [sql, [...params]];
  if (returnsRows(text)) {
    return { rows: (await connection.execute(text, values, 'all', trx)) as Array<Record<string, unknown>> };
  }
  const result = (await connection.execute(text, values, 'run', trx)) as { affectedRows?: unknown };
  const affected = result.affectedRows === undefined ? undefined : Number(result.affectedRows);
  if (engine !== 'mysql' && engine !== 'mariadb') return { rows: [], affected };
  // The OK packet's insertId carries LAST_INSERT_ID(expr), but the MariaDB driver hands it out as a JS number
  // (insertIdAsNumber), which loses IDs past 2^53: it is read as text on the same session instead.
  const [row] = (await connection.execute('SELECT CAST(LAST_INSERT_ID() AS CHAR) AS id', [], 'all', trx)) as Array<{
    id: unknown;
  }>;
  return { rows: [], affected, insertId: String(row?.id) };
}

/** The engine of an entity manager's driver, or undefined when its driver package is not one of the SQL ones. */
function engineOf(em: EntityManager): SqlEngine | undefined {
  return em
    .getDriver()
    .getDependencies()
    .map((name) => DRIVER_PACKAGES[name])
    .find((engine) => engine !== undefined);
}

/**
 * A MikroORM `EntityManager` (a SQL driver: PostgreSQL, MySQL, MariaDB, SQLite, libSQL) as a `SqlExecutor`: raw SQL
 * through `em.getConnection().execute()`, and `connection.transactional()` where a statement needs one (on
 * MySQL/MariaDB every write, whose `LAST_INSERT_ID()` is read in the same transaction). The entity manager's identity
 * map and unit of work are never touched, and the store's transactions are its own, never the caller's. Every
 * statement goes to the write connection, never to a read replica of `replicas`.
 *
 * MikroORM 6 inlines the parameters into the statement, escaped by the platform, before it reaches the driver: the
 * PostgreSQL statements' `$n` are rewritten to its `?` (see `toQuestionMarks`). MikroORM hands out no connection
 * either: a statement abandoned by its signal runs to its end on the pool (see `raceSignal`); SQLite's drivers wait
 * for a lock on the main thread, up to the database's `busy_timeout`.
 */
export function mikroOrmExecutor(em: EntityManager, engine?: SqlEngine): SqlExecutor {
  let known = engine ?? engineOf(em);
  if (known === undefined) {
    throw new TypeError(
      `MikroOrmLeafStore cannot tell the engine of this entity manager (driver packages ` +
        `${em.getDriver().getDependencies().join(', ')}): pass { engine: 'postgres' | 'mysql' | 'mariadb' | 'sqlite' }.`,
    );
  }
  const connection = em.getConnection('write');
  const dbName = em.config.get('dbName');
  return {
    get engine() {
      return known!;
    },
    database: typeof dbName === 'string' ? dbName : undefined,
    serverEngine:
      known === 'mysql'
        ? async (signal) => {
            const { rows } = await raceSignal(run(connection, 'mysql', 'SELECT VERSION() AS v', []), signal);
            return (known = isMariaDbVersion(rows[0]?.v) ? 'mariadb' : 'mysql');
          }
        : undefined,
    query: (sql, params, signal) => {
      const mysqlWrite = (known === 'mysql' || known === 'mariadb') && !returnsRows(sql);
      const work = mysqlWrite
        ? connection.transactional((trx) => run(connection, known!, sql, params, trx))
        : run(connection, known!, sql, params);
      return raceSignal(work, signal);
    },
    transaction: (work, signal) =>
      raceSignal(
        connection.transactional((trx) => work({ query: (sql, params) => run(connection, known!, sql, params, trx) })),
        signal,
      ),
  };
}

/**
 * `leaf_alloc` through the application's MikroORM: `LeafModule.forRoot({ store: new MikroOrmLeafStore(orm.em), … })`
 * (with `@mikro-orm/nestjs`, inject `EntityManager` in a `forRootAsync` factory). Create the table once with the
 * statement of `createTableSql(engine)` in a migration (`this.addSql(createTableSql('postgres'))`): no entity maps it.
 */
export class MikroOrmLeafStore extends SqlLeafStore {
  constructor(em: EntityManager, options: MikroOrmLeafStoreOptions = {}) {
    if (typeof (em as Partial<EntityManager> | null)?.getConnection !== 'function') {
      throw new TypeError('MikroOrmLeafStore takes a MikroORM EntityManager (orm.em).');
    }
    super(mikroOrmExecutor(em, options.engine), options, {
      name: 'MikroOrmLeafStore',
      createTable:
        "Create it once with the statement of createTableSql('<engine>') from nest-leaf/mikro-orm, in a migration: " +
        'this.addSql(createTableSql(engine)).',
    });
  }
}
