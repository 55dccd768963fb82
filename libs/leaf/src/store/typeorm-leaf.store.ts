import type { DataSource } from 'typeorm';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { ResolvedBizTag } from '../leaf.options.js';
import type { LeafAllocRow, LeafStore, ReservedRange } from './leaf-store.js';
import { dialectFor, type SqlDialect } from './sql-dialect.js';

/** Rows per INSERT when creating many tags at boot. */
const INSERT_CHUNK = 500;

/** `leaf_alloc` through a TypeORM DataSource, with the statements of its engine. */
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

  async listTags(): Promise<LeafAllocRow[]> {
    const { records } = await this.run('SELECT biz_tag, step FROM leaf_alloc', []);
    return records.map(toRow);
  }

  async findTag(bizTag: string): Promise<LeafAllocRow | undefined> {
    const sql = `SELECT biz_tag, step FROM leaf_alloc WHERE biz_tag = ${this.dialect.placeholder(1)}`;
    const { records } = await this.run(sql, [bizTag]);
    return records.length > 0 ? toRow(records[0]) : undefined;
  }

  async createTags(tags: readonly ResolvedBizTag[]): Promise<void> {
    for (let i = 0; i < tags.length; i += INSERT_CHUNK) {
      const chunk = tags.slice(i, i + INSERT_CHUNK);
      const params: unknown[] = [];
      const values = chunk.map((tag) => {
        const n = params.push(tag.tag, tag.step, tag.description);
        const p = (k: number) => this.dialect.placeholder(n - 3 + k);
        return `(${p(1)}, 1, ${p(2)}, ${p(3)})`;
      });
      await this.run(this.dialect.insertIgnoringDuplicates(values.join(', ')), params);
    }
  }

  async reserve(bizTag: string, step: number): Promise<ReservedRange> {
    const { raw, records } = await this.run(this.dialect.reserveSql, [step, bizTag, step]);
    const maxId = this.dialect.reservedMaxId(raw, records);
    if (maxId === undefined || maxId === null) throw await this.whyNotReserved(bizTag, step);
    const end = toBigInt(maxId, bizTag);
    return { start: end - BigInt(step), end };
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint): Promise<boolean> {
    const { affected } = await this.run(this.dialect.giveBackSql, [firstUnused.toString(), bizTag, end.toString()]);
    return affected === 1;
  }

  /** The rare path after an UPDATE that matched no row: a missing row, or one too close to 2^63-1. */
  private async whyNotReserved(bizTag: string, step: number): Promise<Error> {
    const { records } = await this.run(this.dialect.selectMaxIdSql, [bizTag]);
    const row = records[0] as { max_id: string } | undefined;
    return row ? new IdOverflowError(bizTag, toBigInt(row.max_id, bizTag), step) : new UnknownBizTagError(bizTag);
  }

  private async run(sql: string, params: unknown[]): Promise<{ raw: unknown; records: unknown[]; affected?: number }> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return { raw: result.raw, records: result.records ?? [], affected: result.affected };
    } catch (error) {
      if (this.dialect.isMissingTable(error)) {
        throw new LeafStoreError(
          'Table leaf_alloc does not exist. Add LeafAllocMigration to the DataSource\'s migrations (with ' +
            'migrationsRun: true, or run it with the TypeORM CLI), or create the table with Leaf\'s SQL script.',
          { cause: error },
        );
      }
      throw error;
    } finally {
      await runner.release();
    }
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
        'Keep the driver\'s bigNumberStrings / supportBigNumbers options on.',
    );
  }
  return BigInt(value);
}
