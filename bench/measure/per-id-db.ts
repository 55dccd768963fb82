import mysql from 'mysql2/promise';
import { mysqlClientOptions } from '../../harness/mariadb.js';
import { now } from '../support/timing.js';

/** One way a user could get each ID from the database itself, one statement per ID. */
export interface PerIdMethod {
  readonly key: 'updatePerId' | 'insertPerId';
  readonly name: string;
  /** One ID, on a connection of its own. */
  next(conn: mysql.PoolConnection): Promise<bigint>;
}

const UPDATE_TAG = 'per_id_update';

export const PER_ID_METHODS: readonly PerIdMethod[] = [
  {
    key: 'updatePerId',
    name: 'UPDATE … SET max_id = LAST_INSERT_ID(max_id + 1), per ID',
    async next(conn) {
      const [header] = await conn.query<mysql.ResultSetHeader>(
        'UPDATE leaf_alloc SET max_id = LAST_INSERT_ID(max_id + 1) WHERE biz_tag = ?',
        [UPDATE_TAG],
      );
      if (header.affectedRows !== 1) throw new Error(`${UPDATE_TAG}: no row updated`);
      return BigInt(header.insertId);
    },
  },
  {
    key: 'insertPerId',
    name: 'INSERT into an AUTO_INCREMENT table, per ID',
    async next(conn) {
      const [header] = await conn.query<mysql.ResultSetHeader>('INSERT INTO per_id_insert () VALUES ()');
      return BigInt(header.insertId);
    },
  },
];

/**
 * The database as an ID generator: each ID costs one autocommitted statement. `concurrency` workers, each on
 * a connection of its own, loop for a fixed time; the pool is opened in full before anything is timed.
 */
export class PerIdDatabaseBench {
  private readonly pool: mysql.Pool;

  constructor(
    database: string,
    private readonly concurrency: number,
  ) {
    this.pool = mysql.createPool({ ...mysqlClientOptions(database), connectionLimit: concurrency });
  }

  async init(): Promise<void> {
    await this.pool.query(
      "INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES (?, 1, 1, 'bench: one UPDATE per ID')",
      [UPDATE_TAG],
    );
    await this.pool.query('CREATE TABLE per_id_insert (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB');
    // Every connection opened now, not inside a timed round.
    const conns = await Promise.all(Array.from({ length: this.concurrency }, () => this.pool.getConnection()));
    for (const conn of conns) conn.release();
  }

  /** IDs/s of `method` over about `durationMs`. */
  async timeRound(method: PerIdMethod, durationMs: number): Promise<number> {
    const conns = await Promise.all(Array.from({ length: this.concurrency }, () => this.pool.getConnection()));
    let ids = 0;
    const start = now();
    const deadline = start + durationMs;
    try {
      await Promise.all(
        conns.map(async (conn) => {
          let previous = 0n;
          while (now() < deadline) {
            const id = await method.next(conn);
            if (id <= previous) throw new Error(`${method.name}: ${id} after ${previous}`);
            previous = id;
            ids++;
          }
        }),
      );
    } finally {
      for (const conn of conns) conn.release();
    }
    return ids / ((now() - start) / 1000);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
