import { SqlLeafStore, type SqlLeafStoreOptions } from '../sql/sql-leaf.store.js';
import { sqliteExecutor } from '../sql/sqlite-executor.js';
import type { SqliteConnection } from '../sql/sqlite-statement.js';

/**
 * `leaf_alloc` in SQLite through a `better-sqlite3` `Database` of the application's, with no ORM:
 * `LeafModule.forRoot({ store: new SqliteLeafStore(db), … })`. The driver waits for a lock on the main thread; the
 * store's statements never do for more than a few ms (another process writing the file, or the application's own
 * transaction on the same connection, is waited for with timers). Create the table once with `createTableSql('sqlite')`.
 */
export class SqliteLeafStore extends SqlLeafStore {
  constructor(db: SqliteConnection, options: SqlLeafStoreOptions & { readonly database?: string } = {}) {
    const candidate = db as Partial<SqliteConnection> | null;
    if (typeof candidate?.prepare !== 'function' || typeof candidate.pragma !== 'function') {
      throw new TypeError(
        "SqliteLeafStore takes a better-sqlite3 Database (new Database(file) from 'better-sqlite3').",
      );
    }
    const name = options.database ?? (db as { name?: unknown }).name;
    super(sqliteExecutor(db, typeof name === 'string' ? name : undefined), options, {
      name: 'SqliteLeafStore',
      createTable:
        "Create it once with the statement of createTableSql('sqlite') from nest-leaf (or Leaf's SQL script), in a " +
        'migration of yours.',
    });
  }
}
