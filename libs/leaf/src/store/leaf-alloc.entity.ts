import { Column, Entity, PrimaryColumn, UpdateDateColumn, type ValueTransformer } from 'typeorm';

/** BIGINT columns arrive as strings from the drivers; keep them exact as `bigint`. */
const bigintTransformer: ValueTransformer = {
  from: (value: string | number | null) => (value === null ? null : BigInt(value)),
  to: (value: bigint | null | undefined) => (value === null || value === undefined ? value : value.toString()),
};

/**
 * A row of `leaf_alloc`, Meituan Leaf's segment table. The generator itself uses single-statement SQL;
 * the entity is for reading the table or managing tags through a TypeORM repository.
 */
@Entity({ name: 'leaf_alloc' })
export class LeafAlloc {
  @PrimaryColumn({ name: 'biz_tag', type: 'varchar', length: 128 })
  bizTag!: string;

  /** The first ID the next reservation will own. */
  @Column({ name: 'max_id', type: 'bigint', default: 1, transformer: bigintTransformer })
  maxId!: bigint;

  /** Base step: the size of a reservation when the dynamic step has not grown it. */
  @Column({ name: 'step', type: 'int' })
  step!: number;

  @Column({ name: 'description', type: 'varchar', length: 256, nullable: true })
  description!: string | null;

  @UpdateDateColumn({ name: 'update_time' })
  updateTime!: Date;
}
