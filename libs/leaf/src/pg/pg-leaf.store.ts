import { pooledExecutor } from '../sql/pooled-executor.js';
import type { SqlExecutor } from '../sql/sql-executor.js';
import { SqlLeafStore, type SqlLeafStoreOptions } from '../sql/sql-leaf.store.js';

/** The part of a `pg` `PoolClient` used; structural, so that nest-leaf's types need neither pg nor its types. */
export interface PgPoolClientLike {
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  /** pg-pool: with an error, the client is removed from the pool and closed. */
  release(error?: Error | boolean): void;
}

/** The part of a `pg` `Pool` used. */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
  readonly options?: { readonly database?: unknown };
}

/**
 * A `pg` `Pool` as a `SqlExecutor`: a client per call, removed from the pool and its socket destroyed when the call's
 * signal fires. `int8` comes back as text by default, and the statements read `max_id` as text anyway.
 */
export function pgExecutor(pool: PgPoolLike): SqlExecutor {
  const database = pool.options?.database;
  return pooledExecutor<PgPoolClientLike>({
    engine: 'postgres',
    database: typeof database === 'string' ? database : undefined,
    // Where watchOpening finds the clients the pool begins opening: pg-pool's own list.
    driver: { master: pool },
    acquire: () => pool.connect(),
    run: async (client, sql, params) => {
      const { rows, rowCount } = await client.query(sql, [...params]);
      return { rows: rows as Array<Record<string, unknown>>, affected: rowCount ?? undefined };
    },
    release: (client) => client.release(),
    discard: (client) => {
      client.release(new Error('leaf_alloc statement abandoned'));
      // pg ends a removed client politely, which a stalled peer never answers: its socket is destroyed as well.
      (client as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
    },
  });
}

/**
 * `leaf_alloc` in PostgreSQL through a `pg` `Pool` of the application's, with no ORM:
 * `LeafModule.forRoot({ store: new PgLeafStore(pool), … })`. Create the table once with `createTableSql('postgres')`.
 */
export class PgLeafStore extends SqlLeafStore {
  constructor(pool: PgPoolLike, options: SqlLeafStoreOptions = {}) {
    if (typeof (pool as Partial<PgPoolLike> | null)?.connect !== 'function') {
      throw new TypeError('PgLeafStore takes a pg Pool (new Pool({ … }) from the pg package).');
    }
    super(pgExecutor(pool), options, { name: 'PgLeafStore', createTable: CREATE_TABLE });
  }
}

const CREATE_TABLE =
  "Create it once with the statement of createTableSql('postgres') from nest-leaf (or Leaf's SQL script), in a " +
  'migration of yours.';
