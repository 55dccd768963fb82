import { CompiledQuery, type Kysely } from 'kysely';
import { raceSignal } from '../sql/signal-race.js';
import { isMariaDbVersion, type SqlEngine, type SqlExecutor, type SqlResult } from '../sql/sql-executor.js';
import { SqlLeafStore, type SqlLeafStoreOptions } from '../sql/sql-leaf.store.js';

/** What Kysely runs a raw compiled query on: the `Kysely` instance, or the `Transaction` of `db.transaction()`. */
type KyselyRunner = Pick<Kysely<unknown>, 'executeQuery'>;

export interface KyselyLeafStoreOptions extends SqlLeafStoreOptions {
  /**
   * The engine behind the dialect: `'postgres'` (PostgresDialect), `'mysql'` (MysqlDialect: MySQL or MariaDB, told
   * by `SELECT VERSION()`) or `'sqlite'` (SqliteDialect).
   */
  readonly engine: SqlEngine;
}

async function run(db: KyselyRunner, sql: string, params: readonly unknown[]): Promise<SqlResult> {
  const { rows, numAffectedRows, insertId } = await db.executeQuery(CompiledQuery.raw(sql, [...params]));
  return {
    rows: rows as Array<Record<string, unknown>>,
    affected: numAffectedRows === undefined ? undefined : Number(numAffectedRows),
    insertId: insertId === undefined ? undefined : insertId.toString(),
  };
}

/**
 * A `Kysely` instance as a `SqlExecutor`: raw compiled queries (`CompiledQuery.raw`), and `db.transaction()` where a
 * statement needs one. Kysely hands out no connection: a statement abandoned by its signal runs to its end on the
 * dialect's pool (see `raceSignal`); SQLite's dialect waits for a lock on the main thread, up to the database's
 * `busy_timeout`.
 */
export function kyselyExecutor(db: Kysely<unknown>, engine: SqlEngine): SqlExecutor {
  let known = engine;
  return {
    get engine() {
      return known;
    },
    serverEngine:
      engine === 'mysql'
        ? async (signal) => {
            const { rows } = await raceSignal(run(db, 'SELECT VERSION() AS v', []), signal);
            return (known = isMariaDbVersion(rows[0]?.v) ? 'mariadb' : 'mysql');
          }
        : undefined,
    query: (sql, params, signal) => raceSignal(run(db, sql, params), signal),
    transaction: (work, signal) =>
      raceSignal(
        db.transaction().execute((trx) => work({ query: (sql, params) => run(trx, sql, params) })),
        signal,
      ),
  };
}

/**
 * `leaf_alloc` through the application's `Kysely` instance: `LeafModule.forRoot({ store: new KyselyLeafStore(db,
 * { engine: 'postgres' }), … })`. Create the table once with `createTableSql(engine)`, in a Kysely migration
 * (`sql.raw(createTableSql('postgres')).execute(db)`).
 */
export class KyselyLeafStore extends SqlLeafStore {
  constructor(db: Kysely<unknown>, options: KyselyLeafStoreOptions) {
    if (typeof (db as Partial<Kysely<unknown>> | null)?.executeQuery !== 'function') {
      throw new TypeError('KyselyLeafStore takes a Kysely instance (new Kysely({ dialect })).');
    }
    super(kyselyExecutor(db, options.engine), options, {
      name: 'KyselyLeafStore',
      createTable:
        "Create it once with createTableSql('<engine>') from nest-leaf/kysely, in a migration: " +
        'sql.raw(createTableSql(engine)).execute(db).',
    });
  }
}
