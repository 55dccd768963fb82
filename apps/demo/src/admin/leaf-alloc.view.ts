import { ApiProperty } from '@nestjs/swagger';
import type { LeafAlloc } from 'nest-leaf/typeorm';

/** A row of `leaf_alloc` as JSON: `max_id` as a decimal string, since JSON numbers lose digits past 2^53. */
export class LeafAllocView {
  @ApiProperty({ example: 'shipment' })
  tag!: string;

  @ApiProperty({ example: '100000', description: 'max_id: the first ID the next reservation of any node will own' })
  maxId!: string;

  @ApiProperty({ example: 1000, description: 'Base step' })
  step!: number;

  @ApiProperty({ type: String, nullable: true, example: 'IDs of shipments' })
  description!: string | null;

  @ApiProperty({ example: '2025-01-01T12:00:00.000Z' })
  updatedAt!: string;

  static from(row: LeafAlloc): LeafAllocView {
    return {
      tag: row.bizTag,
      maxId: row.maxId.toString(),
      // SQLite with safe integers hands every integer column over as a bigint, which JSON cannot carry.
      step: Number(row.step),
      description: row.description,
      updatedAt: row.updateTime.toISOString(),
    };
  }
}
