import type { DataSource } from 'typeorm';
import { SqlLeafStore, type SqlLeafStoreOptions } from '../sql/sql-leaf.store.js';
import { typeOrmSqlExecutor } from './typeorm-sql.executor.js';

/** The options of `TypeOrmLeafStore`: those of every SQL store (`serverTimeoutMs`). */
export type TypeOrmLeafStoreOptions = SqlLeafStoreOptions;

/**
 * `leaf_alloc` through a TypeORM DataSource (MySQL/MariaDB, PostgreSQL, SQLite): `SqlLeafStore` on the DataSource's
 * pool. A call whose `AbortSignal` fires is abandoned and its connection destroyed rather than returned to the pool,
 * so a retry runs on a fresh connection instead of queueing behind a stalled one; a connection still being opened is
 * destroyed at once, so the pool's end (the app's shutdown) never waits for its handshake. The statements that move
 * `max_id` are bounded on the server as well (`serverTimeoutMs`), so one abandoned while it waits for a row lock is
 * rolled back, not applied later.
 */
export class TypeOrmLeafStore extends SqlLeafStore {
  constructor(dataSource: DataSource, options: TypeOrmLeafStoreOptions = {}) {
    super(typeOrmSqlExecutor(dataSource), options, {
      name: 'TypeOrmLeafStore',
      createTable:
        'TypeORM synchronize never creates it: add LeafAllocMigration to the ' +
        "DataSource's migrations (with migrationsRun: true, or run it with the TypeORM CLI), or create the table " +
        "with Leaf's SQL script.",
    });
  }
}
