import { Column, Entity, PrimaryColumn, UpdateDateColumn, type ValueTransformer } from 'typeorm';
import { LeafStoreError } from '../errors/leaf-store.error.js';

/**
 * BIGINT columns arrive as strings (mysql2, pg) or, from SQLite, as numbers, or as bigints with better-sqlite3's
 * safe integers; keep them exact as `bigint`.
 */
const bigintTransformer: ValueTransformer = {
  from: (value: string | number | bigint | null) => {
    // A number past 2^53 has already lost digits in the driver: a wrong max_id must not pass for a right one.
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new LeafStoreError(
        `leaf_alloc.max_id came back from the driver as an inexact number (${value}). On SQLite, enable ` +
          'better-sqlite3 safe integers (prepareDatabase: (db) => db.defaultSafeIntegers(true)) to read it exactly.',
      );
    }
    return value === null ? null : BigInt(value);
  },
  to: (value: bigint | null | undefined) => (value === null || value === undefined ? value : value.toString()),
};

/** better-sqlite3 with safe integers hands every integer over as a bigint; `step` is declared a number. */
const intTransformer: ValueTransformer = {
  from: (value: number | bigint | null) => (value === null ? null : Number(value)),
  to: (value: number | null | undefined) => value,
};

/**
 * A row of `leaf_alloc`, Meituan Leaf's segment table. The generator itself uses single-statement SQL;
 * the entity is for reading the table or managing tags through a TypeORM repository.
 *
 * The table is shared with Leaf's own (Java) nodes and created by Leaf's script or by `LeafAllocMigration`,
 * never by this entity: it is excluded from `synchronize` (and so from `migration:generate`), which would
 * otherwise rewrite `update_time` and drop column defaults to match TypeORM's idea of the columns, or create
 * a table that is not Leaf's where none exists.
 */
@Entity({ name: 'leaf_alloc', synchronize: false })
export class LeafAlloc {
  @PrimaryColumn({ name: 'biz_tag', type: 'varchar', length: 128 })
  bizTag!: string;

  /** The first ID the next reservation will own. */
  @Column({ name: 'max_id', type: 'bigint', default: 1, transformer: bigintTransformer })
  maxId!: bigint;

  /** Base step: the size of a reservation when the dynamic step has not grown it. */
  @Column({ name: 'step', type: 'int', transformer: intTransformer })
  step!: number;

  @Column({ name: 'description', type: 'varchar', length: 256, nullable: true })
  description!: string | null;

  /**
   * When the row last changed, whole seconds (Leaf's column is a TIMESTAMP). The column type is the driver's
   * default for an update date: it steers only how values are read, since the entity never shapes the table.
   * A repository update sets it to CURRENT_TIMESTAMP, as Leaf's statements do.
   */
  @UpdateDateColumn({ name: 'update_time' })
  updateTime!: Date;
}
