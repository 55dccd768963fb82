import type { DataSource, QueryRunner } from 'typeorm';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { LeafAllocRow, LeafStore, NewLeafAllocRow, ReservedRange, NewTagRow } from '../store/leaf-store.js';
import { watchOpening } from '../sql/opening-connection.js';
import { discard, isMariaDb } from './runner-connection.js';
import { DEFAULT_SERVER_TIMEOUT_MS, remainingBoundMs, ServerTimeoutError } from '../sql/server-bound.js';
import { dialectFor, mariadbDialect, mysqlDialect, type SqlDialect } from '../sql/sql-dialect.js';
import { runSqliteStatement, type SqliteConnection } from '../sql/sqlite-statement.js';

/** Rows per INSERT when creating many tags at boot. */
const INSERT_CHUNK = 500;
/** The bound of a SQLite statement called without a signal, which would otherwise wait out any lock. */
const DEFAULT_DEADLINE_MS = 5000;

export interface TypeOrmLeafStoreOptions {
  /**
   * The server's own bound on the UPDATEs that move `max_id` (a reservation, a give-back), in ms: one that waits
   * longer for the row lock is rolled back by the server, rather than applied after the caller gave up on it (and
   * its range lost). Keep it a little below `reservationTimeoutMs`, so the server gives up first:
   * `serverTimeoutFor(reservationTimeoutMs)`, 90% of it. Time spent getting a connection counts against it.
   * Default 4500 ms, for the default `reservationTimeoutMs` of 5000.
   *
   * MariaDB: `SET STATEMENT max_statement_time=… FOR` the statement, no extra round trip. PostgreSQL: `lock_timeout`,
   * set inside the statement, no extra round trip. MySQL 8 (untested here): the session's `innodb_lock_wait_timeout`,
   * in whole seconds and at least 1, set before the statement and put back after it (two more round trips).
   * SQLite: nothing to bound.
   */
  readonly serverTimeoutMs?: number;
}

/**
 * `leaf_alloc` through a TypeORM DataSource (MySQL/MariaDB, PostgreSQL, SQLite), one statement per call. A call whose
 * `AbortSignal` fires is abandoned and its connection destroyed rather than returned to the pool, so a retry runs on
 * a fresh connection instead of queueing behind a stalled one; a connection still being opened is destroyed at once,
 * so the pool's end (the app's shutdown) never waits for its handshake. The statements that move `max_id` are bounded
 * on the server as well (`serverTimeoutMs`), so one abandoned while it waits for a row lock is rolled back, not applied
 * later.
 */
export class TypeOrmLeafStore implements LeafStore {
  private readonly dialect: SqlDialect;
  private readonly serverTimeoutMs: number;
  /** For the MySQL dialect: whether the server is MariaDB, once a connection has told. */
  private mariadb: boolean | undefined;

  constructor(
    private readonly dataSource: DataSource,
    options: TypeOrmLeafStoreOptions = {},
  ) {
    const serverTimeoutMs = options.serverTimeoutMs ?? DEFAULT_SERVER_TIMEOUT_MS;
    if (!Number.isInteger(serverTimeoutMs) || serverTimeoutMs < 1) {
      throw new RangeError(
        `TypeOrmLeafStore: serverTimeoutMs must be a positive integer (ms), got ${serverTimeoutMs}.`,
      );
    }
    this.serverTimeoutMs = serverTimeoutMs;
    const type = String(dataSource.options.type);
    const dialect = dialectFor(type);
    if (!dialect) {
      throw new LeafStoreError(
        `LeafModule does not support the TypeORM driver "${type}". ` +
          `Use mysql, mariadb, postgres or better-sqlite3 for the DataSource that holds leaf_alloc.`,
      );
    }
    this.dialect = dialect;
  }

  get engine(): string {
    return this.dialect.name;
  }

  get location(): string {
    const database = this.dataSource.options.database;
    const name = typeof database === 'string' ? ` "${database}"` : '';
    return `leaf_alloc in the ${this.dialect.name} database${name}`;
  }

  async listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    const { records } = await this.run(this.dialect.listSql, [], signal);
    return records.map(toRow);
  }

  async findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    const { records } = await this.run(this.dialect.findSql, [bizTag], signal);
    if (records.length === 0) return undefined;
    const row = toRow(records[0]);
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

  async reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    const { raw, records } = await this.run(this.dialect.reserveSql, [step, bizTag, step], signal, bizTag);
    const maxId = this.dialect.reservedMaxId(raw, records);
    if (maxId === undefined || maxId === null) throw await this.whyNotReserved(bizTag, step, signal);
    const end = toBigInt(maxId, bizTag);
    return { start: end - BigInt(step), end };
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    const params = [firstUnused.toString(), bizTag, end.toString()];
    const { affected } = await this.run(this.dialect.giveBackSql, params, signal, bizTag);
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

  /** The rare path after an UPDATE that matched no row: a missing row, or one too close to 2^63-1. */
  private async whyNotReserved(bizTag: string, step: number, signal?: AbortSignal): Promise<Error> {
    const { records } = await this.run(this.dialect.selectMaxIdSql, [bizTag], signal);
    const row = records[0] as { max_id: string } | undefined;
    return row ? new IdOverflowError(bizTag, toBigInt(row.max_id, bizTag), step) : new UnknownBizTagError(bizTag);
  }

  /**
   * One statement on a connection of its own, abandoned when `signal` fires. With `boundTag` (the statements that move
   * `max_id`), bounded on the server too, within what is left of `serverTimeoutMs` since the call began.
   */
  private async run(
    sql: string,
    params: unknown[],
    signal?: AbortSignal,
    boundTag?: string,
  ): Promise<{ raw: unknown; records: unknown[]; affected?: number }> {
    const startedAt = performance.now();
    signal?.throwIfAborted();
    // better-sqlite3 is synchronous: its busy wait would stop the event loop, so SQLite has a runner of its own.
    if (this.dialect.name === 'sqlite') return this.runSqlite(sql, params, signal);
    const runner = this.dataSource.createQueryRunner();
    // The connection is asked for here, so that a socket the pool opens for it is known: abandoned while still being
    // opened, that socket is destroyed at once, or the pool's end (the app's shutdown) would wait for its handshake.
    const opening = watchOpening(this.dataSource.driver, () => runner.connect());
    let abandoned = false;
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        abandoned = true;
        opening.abandon();
        discard(runner);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const query =
        boundTag === undefined
          ? runner.query(sql, params, true)
          : this.queryBounded(runner, sql, params, boundTag, startedAt);
      const result = await Promise.race([query, aborted]);
      return { raw: result.raw, records: result.records ?? [], affected: result.affected };
    } catch (error) {
      throw this.explained(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // An abandoned runner may still be connecting or querying: discard() releases it when that settles.
      if (!abandoned) await runner.release();
    }
  }

  /** `sql` with the server's bound; the server giving up at it becomes a `ServerTimeoutError` (transient). */
  private async queryBounded(runner: QueryRunner, sql: string, params: unknown[], bizTag: string, startedAt: number) {
    const dialect = await this.serverDialect(runner);
    const statement = dialect.bounded(sql, params, remainingBoundMs(this.serverTimeoutMs, startedAt));
    if (statement.before !== undefined) await runner.query(statement.before);
    try {
      return await runner.query(statement.sql, [...statement.params], true);
    } catch (error) {
      throw dialect.isServerTimeout(error) ? new ServerTimeoutError(bizTag, statement.limit, error) : error;
    } finally {
      // Should it fail, its error is the call's: the range is not used (a gap), and the connection is suspect.
      if (statement.after !== undefined) await runner.query(statement.after);
    }
  }

  /** The dialect for the server behind `runner`: a `mysql` DataSource may reach MySQL or MariaDB. */
  private async serverDialect(runner: QueryRunner): Promise<SqlDialect> {
    if (this.dialect !== mysqlDialect) return this.dialect;
    this.mariadb ??= await isMariaDb(runner);
    return this.mariadb ? mariadbDialect : mysqlDialect;
  }

  /** On the DataSource's one SQLite connection, never blocking the event loop for more than a few ms. */
  private async runSqlite(sql: string, params: unknown[], signal = AbortSignal.timeout(DEFAULT_DEADLINE_MS)) {
    const db = (this.dataSource.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection;
    try {
      const { records, changes } = await runSqliteStatement(db, sql, params, signal);
      return { raw: undefined, records, affected: changes };
    } catch (error) {
      throw this.explained(error);
    }
  }

  /** A missing table becomes a `LeafStoreError` saying how to create it; anything else is passed on. */
  private explained(error: unknown): unknown {
    if (!this.dialect.isMissingTable(error)) return error;
    return new LeafStoreError(
      'Table leaf_alloc does not exist (TypeORM synchronize never creates it). Add LeafAllocMigration to the ' +
        "DataSource's migrations (with migrationsRun: true, or run it with the TypeORM CLI), or create the table " +
        "with Leaf's SQL script.",
      { cause: error },
    );
  }
}

function toRow(record: unknown): LeafAllocRow {
  const row = record as { biz_tag: string; step: number | string };
  return { bizTag: row.biz_tag, step: Number(row.step) };
}

function toBigInt(value: string | bigint | number, bizTag: string): bigint {
  // A JS number above 2^53 has already lost digits: refuse it rather than risk handing out a duplicate.
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new LeafStoreError(
      `max_id of "${bizTag}" came back from the driver as an inexact number (${value}). ` +
        "Keep the driver's bigNumberStrings / supportBigNumbers options on.",
    );
  }
  return BigInt(value);
}
