import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import { FENCE_MARKER } from '../store/fence-marker.js';
import type { FenceOutcome, FenceSkips, LeafAllocRow, LeafStore, NewLeafAllocRow } from '../store/leaf-store.js';
import type { NewTagRow, ReservedRange } from '../store/leaf-store.js';
import { DEFAULT_SERVER_TIMEOUT_MS, remainingBoundMs, ServerTimeoutError } from './server-bound.js';
import { dialectOf, mariadbDialect, mysqlDialect, sqliteDialect, type SqlDialect } from './sql-dialect.js';
import { readSqlDurability, type SqlDurability } from './sql-durability.js';
import type { SqlExecutor, SqlResult } from './sql-executor.js';
import { SqlFence, unfenced } from './sql-fence.js';
import type { SqlServerKind } from './sql-identity.js';
import { toBigInt, toRow } from './sql-values.js';

/** Rows per INSERT when creating many tags at boot. */
const INSERT_CHUNK = 500;

export interface SqlLeafStoreOptions {
  /**
   * The server's own bound on the UPDATEs that move `max_id` (a reservation, a give-back), in ms: one that waits
   * longer for the row lock is rolled back by the server, rather than applied after the caller gave up on it (and
   * its range lost). Keep it a little below `reservationTimeoutMs`, so the server gives up first:
   * `serverTimeoutFor(reservationTimeoutMs)`, 90% of it. Time spent getting a connection counts against it.
   * Default 4500 ms, for the default `reservationTimeoutMs` of 5000.
   *
   * MariaDB: `SET STATEMENT max_statement_time=… FOR` the statement, no extra round trip. PostgreSQL: `lock_timeout`,
   * set inside the statement, no extra round trip. MySQL 8 (untested here): the session's `innodb_lock_wait_timeout`,
   * in whole seconds and at least 1, lowered around the statement in a transaction of its own (three more round
   * trips). SQLite: nothing to bound.
   */
  readonly serverTimeoutMs?: number;
  /** Failover fencing (`sql-fence.ts`), default true; `false` turns it off: a failover can then repeat IDs. SQLite: none. */
  readonly fencing?: boolean;
}

/** What a data layer's store adds to the messages of `SqlLeafStore`. */
export interface SqlStoreLayer {
  /** The class, for messages about its options: `TypeOrmLeafStore`. */
  readonly name: string;
  /** How to create the table with this layer, said when it is missing. */
  readonly createTable: string;
}

const PLAIN: SqlStoreLayer = {
  name: 'SqlLeafStore',
  createTable:
    "Create it once with the statement of createTableSql('<engine>') from nest-leaf (or Leaf's own SQL script), " +
    'in a migration of your data layer.',
};

/**
 * `leaf_alloc` on any data layer that can run a SQL statement: one statement per call through a `SqlExecutor`
 * (MySQL/MariaDB, PostgreSQL, SQLite). A call whose `AbortSignal` fires is abandoned and its connection discarded by
 * the executor, so a retry runs on a fresh connection instead of queueing behind a stalled one. The statements that
 * move `max_id` are bounded on the server as well (`serverTimeoutMs`), so one abandoned while it waits for a row lock
 * is rolled back, not applied later.
 */
export class SqlLeafStore implements LeafStore {
  private readonly dialect: SqlDialect;
  private readonly serverTimeoutMs: number;
  /** For the MySQL dialect: the server's own (MariaDB or MySQL), once the executor has told. */
  private serverDialect: SqlDialect | undefined;
  private readonly fencing: SqlFence | undefined;
  private durability?: Promise<SqlDurability>;

  constructor(
    protected readonly executor: SqlExecutor,
    options: SqlLeafStoreOptions = {},
    private readonly layer: SqlStoreLayer = PLAIN,
  ) {
    const serverTimeoutMs = options.serverTimeoutMs ?? DEFAULT_SERVER_TIMEOUT_MS;
    if (!Number.isInteger(serverTimeoutMs) || serverTimeoutMs < 1) {
      throw new RangeError(`${layer.name}: serverTimeoutMs must be a positive integer (ms), got ${serverTimeoutMs}.`);
    }
    this.serverTimeoutMs = serverTimeoutMs;
    this.dialect = dialectOf(executor.engine);
    const kindOf = async (signal?: AbortSignal) =>
      (await this.ofServer(signal)) === mariadbDialect ? 'mariadb' : (this.dialect.name as SqlServerKind);
    if (options.fencing !== false && this.dialect !== sqliteDialect) this.fencing = new SqlFence(executor, kindOf);
  }

  get engine(): string {
    return this.dialect.name;
  }

  get location(): string {
    const name = this.executor.database === undefined ? '' : ` "${this.executor.database}"`;
    return `leaf_alloc in the ${this.dialect.name} database${name}`;
  }

  async listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    const { rows } = await this.run(this.dialect.listSql, [], signal);
    return rows.map(toRow).filter((row) => row.bizTag !== FENCE_MARKER);
  }

  async findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    const { rows } = await this.run(this.dialect.findSql, [bizTag], signal);
    if (rows.length === 0) return undefined;
    const row = toRow(rows[0]);
    // MySQL's default collation finds "order" for "ORDER": that row is another tag's, never this one's.
    if (row.bizTag !== bizTag) throw UnknownBizTagError.collationMatch(bizTag, row.bizTag);
    return row;
  }

  async createTags(tags: readonly NewTagRow[], signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < tags.length; i += INSERT_CHUNK) {
      const chunk = tags.slice(i, i + INSERT_CHUNK);
      const params: unknown[] = [];
      const values = chunk.map((tag) => {
        const n = params.push(tag.tag, tag.step, tag.description);
        const p = (k: number) => this.dialect.placeholder(n - 3 + k);
        return `(${p(1)}, 1, ${p(2)}, ${p(3)})`;
      });
      await this.run(this.dialect.insertIgnoringDuplicates(values.join(', ')), params, signal);
    }
  }

  reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    return this.reserveRange(bizTag, step, signal, false);
  }

  private async reserveRange(
    bizTag: string,
    step: number,
    signal: AbortSignal | undefined,
    again: boolean,
  ): Promise<ReservedRange> {
    const result = await this.runBounded(this.dialect.reserveSql, [step, bizTag, step], signal, bizTag);
    const maxId = this.dialect.reservedMaxId(result);
    if (maxId === undefined || maxId === null) {
      const fence = await this.fencing?.check(signal);
      // The table had no marker when the UPDATE ran: made now, by this node or by another one booting with it (then
      // the check finds it naming this server). Once more; a second miss is the row's own (missing, or overflowing).
      if (!again && (fence === 'made' || fence === 'same')) return this.reserveRange(bizTag, step, signal, true);
      throw fence instanceof Error ? fence : await this.whyNotReserved(bizTag, step, signal);
    }
    if (this.durability === undefined) {
      // Read once, at the first reservation (startup), and waited for: the startup line then comes at startup, and the
      // read never holds a pooled connection later, when a reservation needs it (it never throws).
      this.durability = readSqlDurability(this.executor, this.engine, this.fencing !== undefined);
      await this.durability;
    }
    const end = toBigInt(maxId, bizTag);
    return { start: end - BigInt(step), end };
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    const params = [firstUnused.toString(), bizTag, end.toString()];
    const { affected } = await this.runBounded(this.dialect.giveBackSql, params, signal, bizTag);
    return affected === 1;
  }

  async insertTag({ bizTag, maxId, step, description }: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.run(this.dialect.insertSql, [bizTag, maxId.toString(), step, description], signal);
      return true;
    } catch (error) {
      if (this.dialect.isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean> {
    const { affected } = await this.run(this.dialect.setStepSql, [step, bizTag], signal);
    return (affected ?? 0) > 0;
  }

  /** See `LeafStore.fence` and `SqlFence`. SQLite has nothing to fence; with `fencing: false`, `LeafStoreError`. */
  fence(skips: FenceSkips, signal?: AbortSignal): Promise<FenceOutcome> {
    return this.fencing?.fence(skips, signal) ?? unfenced(this.location, this.dialect.name, this.layer.name);
  }

  /** The rare path after an UPDATE that matched no row: a missing row, or one too close to 2^63-1. */
  private async whyNotReserved(bizTag: string, step: number, signal?: AbortSignal): Promise<Error> {
    const { rows } = await this.run(this.dialect.selectMaxIdSql, [bizTag], signal);
    const row = rows[0] as { max_id: string } | undefined;
    return row ? new IdOverflowError(bizTag, toBigInt(row.max_id, bizTag), step) : new UnknownBizTagError(bizTag);
  }

  /** One statement, its errors explained. */
  protected async run(sql: string, params: readonly unknown[], signal?: AbortSignal): Promise<SqlResult> {
    signal?.throwIfAborted();
    try {
      return await this.executor.query(sql, params, signal);
    } catch (error) {
      throw this.explained(error);
    }
  }

  /**
   * A statement that moves `max_id`, bounded on the server within what is left of `serverTimeoutMs` since the call
   * began; the server giving up at it becomes a `ServerTimeoutError` (transient).
   */
  protected async runBounded(sql: string, params: readonly unknown[], signal: AbortSignal | undefined, bizTag: string) {
    const startedAt = performance.now();
    signal?.throwIfAborted();
    let dialect = this.dialect;
    let limit = '';
    try {
      dialect = await this.ofServer(signal);
      const guarded = this.fencing ? await this.fencing.guarded(sql, signal) : sql;
      const statement = dialect.bounded(guarded, params, remainingBoundMs(this.serverTimeoutMs, startedAt));
      const { before, after } = statement;
      limit = statement.limit;
      if (before === undefined || after === undefined) {
        return await this.executor.query(statement.sql, statement.params, signal);
      }
      // MySQL 8: the session's lock wait is lowered around the statement, so both must run on one connection.
      return await this.executor.transaction(async (tx) => {
        await tx.query(before, []);
        try {
          return await tx.query(statement.sql, statement.params);
        } finally {
          // Should it fail, its error is the call's: the range is not used (a gap), and the connection is suspect.
          await tx.query(after, []);
        }
      }, signal);
    } catch (error) {
      if (dialect.isServerTimeout(error)) throw new ServerTimeoutError(bizTag, limit, error);
      throw this.explained(error);
    }
  }

  /** The dialect of the server itself: a MySQL-protocol executor may reach MySQL or MariaDB. */
  private async ofServer(signal?: AbortSignal): Promise<SqlDialect> {
    if (this.dialect !== mysqlDialect || this.executor.serverEngine === undefined) return this.dialect;
    this.serverDialect ??= dialectOf(await this.executor.serverEngine(signal));
    return this.serverDialect;
  }

  /** A missing table becomes a `LeafStoreError` saying how to create it; anything else is passed on. */
  private explained(error: unknown): unknown {
    if (!this.dialect.isMissingTable(error)) return error;
    return new LeafStoreError(`Table leaf_alloc does not exist. ${this.layer.createTable}`, { cause: error });
  }
}
