import type { DataSource, QueryRunner } from 'typeorm';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { ResolvedBizTag } from '../leaf.options.js';
import type { LeafAllocRow, LeafStore, NewLeafAllocRow, ReservedRange } from './leaf-store.js';
import { dialectFor, type SqlDialect } from './sql-dialect.js';
import { runSqliteStatement, type SqliteConnection } from './sqlite-statement.js';

/** Rows per INSERT when creating many tags at boot. */
const INSERT_CHUNK = 500;
/** The bound of a SQLite statement called without a signal, which would otherwise wait out any lock. */
const DEFAULT_DEADLINE_MS = 5000;

/**
 * `leaf_alloc` through a TypeORM DataSource (MySQL/MariaDB, PostgreSQL, SQLite), one statement per call. A call whose
 * `AbortSignal` fires is abandoned and its connection destroyed rather than returned to the pool, so a retry runs on
 * a fresh connection instead of queueing behind a stalled one.
 */
export class TypeOrmLeafStore implements LeafStore {
  private readonly dialect: SqlDialect;

  constructor(private readonly dataSource: DataSource) {
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

  async listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    const { records } = await this.run('SELECT biz_tag, step FROM leaf_alloc', [], signal);
    return records.map(toRow);
  }

  async findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    const sql = `SELECT biz_tag, step FROM leaf_alloc WHERE biz_tag = ${this.dialect.placeholder(1)}`;
    const { records } = await this.run(sql, [bizTag], signal);
    if (records.length === 0) return undefined;
    const row = toRow(records[0]);
    // MySQL's default collation finds "order" for "ORDER": that row is another tag's, never this one's.
    if (row.bizTag !== bizTag) throw UnknownBizTagError.collationMatch(bizTag, row.bizTag);
    return row;
  }

  async createTags(tags: readonly ResolvedBizTag[], signal?: AbortSignal): Promise<void> {
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
    const { raw, records } = await this.run(this.dialect.reserveSql, [step, bizTag, step], signal);
    const maxId = this.dialect.reservedMaxId(raw, records);
    if (maxId === undefined || maxId === null) throw await this.whyNotReserved(bizTag, step, signal);
    const end = toBigInt(maxId, bizTag);
    return { start: end - BigInt(step), end };
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    const params = [firstUnused.toString(), bizTag, end.toString()];
    const { affected } = await this.run(this.dialect.giveBackSql, params, signal);
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
    const p = (n: number) => this.dialect.placeholder(n);
    const sql = `UPDATE leaf_alloc SET step = ${p(1)}, update_time = CURRENT_TIMESTAMP WHERE biz_tag = ${p(2)}`;
    const { affected } = await this.run(sql, [step, bizTag], signal);
    return (affected ?? 0) > 0;
  }

  /** The rare path after an UPDATE that matched no row: a missing row, or one too close to 2^63-1. */
  private async whyNotReserved(bizTag: string, step: number, signal?: AbortSignal): Promise<Error> {
    const { records } = await this.run(this.dialect.selectMaxIdSql, [bizTag], signal);
    const row = records[0] as { max_id: string } | undefined;
    return row ? new IdOverflowError(bizTag, toBigInt(row.max_id, bizTag), step) : new UnknownBizTagError(bizTag);
  }

  private async run(
    sql: string,
    params: unknown[],
    signal?: AbortSignal,
  ): Promise<{ raw: unknown; records: unknown[]; affected?: number }> {
    signal?.throwIfAborted();
    // better-sqlite3 is synchronous: its busy wait would stop the event loop, so SQLite has a runner of its own.
    if (this.dialect.name === 'sqlite') return this.runSqlite(sql, params, signal);
    const runner = this.dataSource.createQueryRunner();
    let abandoned = false;
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        abandoned = true;
        discard(runner);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([runner.query(sql, params, true), aborted]);
      return { raw: result.raw, records: result.records ?? [], affected: result.affected };
    } catch (error) {
      throw this.explained(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // An abandoned runner may still be connecting or querying: discard() releases it when that settles.
      if (!abandoned) await runner.release();
    }
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

/**
 * Destroys the connection under a runner that stopped answering, so the pool opens a new one instead of
 * handing the stalled one to the next statement. A connection still being opened is destroyed once it opens.
 */
function discard(runner: QueryRunner): void {
  void runner
    .connect()
    .then((connection: unknown) => {
      const raw = connection as { destroy?: () => void; stream?: { destroy?: () => void } } | undefined;
      // pg's pool client: releasing with an error removes it from the pool and ends its socket.
      const pg = runner as unknown as { releasePostgresConnection?: (error: Error) => Promise<void> };
      if (typeof pg.releasePostgresConnection === 'function') {
        return pg.releasePostgresConnection(new Error('leaf_alloc statement timed out'));
      }
      // mysql2's pool connection: destroy() takes it out of the pool but only half-closes the socket, which a
      // stalled peer never acknowledges; the socket itself is destroyed too.
      raw?.destroy?.();
      raw?.stream?.destroy?.();
      return runner.release();
    })
    .catch(() => undefined);
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
