import { pooledExecutor } from '../sql/pooled-executor.js';
import { isMariaDbVersion, type SqlExecutor } from '../sql/sql-executor.js';
import { SqlLeafStore, type SqlLeafStoreOptions } from '../sql/sql-leaf.store.js';

/** The core connection under a `mysql2/promise` `PoolConnection`: its socket and its handshake. */
interface MysqlCoreConnection {
  readonly stream?: { destroy?: () => void };
  readonly _handshakePacket?: { readonly serverVersion?: unknown };
}

/** The part of a `mysql2/promise` `PoolConnection` used; structural, so that nest-leaf's types need no mysql2. */
export interface MysqlPoolConnectionLike {
  query(sql: string, params: unknown[]): Promise<[unknown, unknown]>;
  release(): void;
  /** Takes the connection out of the pool. */
  destroy(): void;
  /** The core connection: its socket and its handshake are read, where the driver has them. */
  readonly connection?: unknown;
}

/** The part of a `mysql2/promise` `Pool` used. */
export interface MysqlPoolLike {
  getConnection(): Promise<MysqlPoolConnectionLike>;
  /** The core pool, whose `config.connectionConfig` tells the database and the BIGINT options. */
  readonly pool?: unknown;
}

/** The connection options of a mysql2 pool, where the driver keeps them. */
function connectionConfig(pool: MysqlPoolLike): { database?: unknown; supportBigNumbers?: unknown } | undefined {
  return (pool.pool as { config?: { connectionConfig?: { database?: unknown } } } | undefined)?.config
    ?.connectionConfig;
}

/**
 * A `mysql2/promise` `Pool` as a `SqlExecutor` (MySQL or MariaDB, told from the first connection's handshake): a
 * connection per call, destroyed with its socket when the call's signal fires.
 */
export function mysqlExecutor(pool: MysqlPoolLike): SqlExecutor {
  const database = connectionConfig(pool)?.database;
  return pooledExecutor<MysqlPoolConnectionLike>({
    engine: 'mysql',
    database: typeof database === 'string' ? database : undefined,
    acquire: () => pool.getConnection(),
    run: async (connection, sql, params) => {
      const [result] = await connection.query(sql, [...params]);
      if (Array.isArray(result)) return { rows: result as Array<Record<string, unknown>> };
      const { affectedRows, insertId } = result as { affectedRows?: number; insertId?: number | string };
      return { rows: [], affected: affectedRows, insertId };
    },
    release: (connection) => connection.release(),
    discard: (connection) => {
      // destroy() takes it out of the pool but only half-closes the socket, which a stalled peer never acknowledges.
      connection.destroy();
      core(connection)?.stream?.destroy?.();
    },
    identify: async (connection) => {
      const version = core(connection)?._handshakePacket?.serverVersion;
      if (typeof version === 'string') return isMariaDbVersion(version) ? 'mariadb' : 'mysql';
      const [rows] = await connection.query('SELECT VERSION() AS version', []);
      return isMariaDbVersion((rows as Array<{ version?: unknown }>)[0]?.version) ? 'mariadb' : 'mysql';
    },
  });
}

function core(connection: MysqlPoolConnectionLike): MysqlCoreConnection | undefined {
  return connection.connection as MysqlCoreConnection | undefined;
}

/**
 * `leaf_alloc` in MySQL or MariaDB through a `mysql2/promise` `Pool` of the application's, with no ORM:
 * `LeafModule.forRoot({ store: new MysqlLeafStore(pool), … })`. The pool must be created with
 * `supportBigNumbers: true, bigNumberStrings: true`, as for any BIGINT: a `max_id` past 2^53 would otherwise come back
 * as an inexact JS number. Create the table once with `createTableSql('mysql')`.
 */
export class MysqlLeafStore extends SqlLeafStore {
  constructor(pool: MysqlPoolLike, options: SqlLeafStoreOptions = {}) {
    if (typeof (pool as Partial<MysqlPoolLike> | null)?.getConnection !== 'function') {
      throw new TypeError(
        "MysqlLeafStore takes a mysql2 promise Pool (createPool({ … }) from 'mysql2/promise'; from 'mysql2', " +
          'pool.promise()).',
      );
    }
    if (connectionConfig(pool)?.supportBigNumbers === false) {
      throw new TypeError(
        'MysqlLeafStore: create the mysql2 pool with supportBigNumbers: true and bigNumberStrings: true, or a ' +
          'max_id past 2^53 comes back as an inexact number.',
      );
    }
    super(mysqlExecutor(pool), options, {
      name: 'MysqlLeafStore',
      createTable:
        "Create it once with the statement of createTableSql('mysql') from nest-leaf (or Leaf's SQL script), in a " +
        'migration of yours.',
    });
  }
}
