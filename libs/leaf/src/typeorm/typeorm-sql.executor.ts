import type { DataSource, QueryRunner } from 'typeorm';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { pooledExecutor } from '../sql/pooled-executor.js';
import type { SqlEngine, SqlExecutor, SqlResult } from '../sql/sql-executor.js';
import { sqliteExecutor } from '../sql/sqlite-executor.js';
import type { SqliteConnection } from '../sql/sqlite-statement.js';
import { discard, isMariaDb } from './runner-connection.js';

/** The engine of a TypeORM driver type; `mysql` and `mariadb` both say `'mysql'` until a connection tells. */
const ENGINES: Record<string, SqlEngine> = {
  mysql: 'mysql',
  mariadb: 'mysql',
  postgres: 'postgres',
  'better-sqlite3': 'sqlite',
};

/**
 * A TypeORM DataSource as a `SqlExecutor`: a QueryRunner per call on MySQL/MariaDB and PostgreSQL, destroyed rather
 * than released when its signal fires; SQLite on the DataSource's one better-sqlite3 connection, never blocking the
 * event loop. Only TypeORM's types are imported: its driver is reached through the DataSource.
 */
export function typeOrmSqlExecutor(dataSource: DataSource): SqlExecutor {
  const type = String(dataSource.options.type);
  const engine = ENGINES[type];
  if (engine === undefined) {
    throw new LeafStoreError(
      `LeafModule does not support the TypeORM driver "${type}". ` +
        `Use mysql, mariadb, postgres or better-sqlite3 for the DataSource that holds leaf_alloc.`,
    );
  }
  const database = typeof dataSource.options.database === 'string' ? dataSource.options.database : undefined;
  if (engine === 'sqlite') {
    // Read on each call: the DataSource may be handed over before it is initialized.
    const db = () => (dataSource.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection;
    return sqliteExecutor(db, database);
  }
  return pooledExecutor<QueryRunner>({
    engine,
    database,
    driver: dataSource.driver,
    acquire: async () => {
      const runner = dataSource.createQueryRunner();
      await runner.connect();
      return runner;
    },
    run: async (runner, sql, params) => resultOf(await runner.query(sql, [...params], true)),
    release: (runner) => runner.release(),
    discard,
    identify: async (runner) => ((await isMariaDb(runner)) ? 'mariadb' : 'mysql'),
  });
}

function resultOf(result: { raw: unknown; records?: unknown[]; affected?: number | null }): SqlResult {
  const insertId = (result.raw as { insertId?: unknown } | null)?.insertId;
  return {
    rows: (result.records ?? []) as Array<Record<string, unknown>>,
    affected: result.affected ?? undefined,
    insertId: typeof insertId === 'number' || typeof insertId === 'string' ? insertId : undefined,
  };
}
