import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '../common/bigint.transformer.js';

/**
 * An invoice of an order. Two Leaf values: its primary key, an ID of the plain tag `invoice_id`, and its number,
 * a code of the daily tag `invoice` (`INV-20261201-000001`), unique too, or of the gapless French series
 * `invoice-fr` (`F2026-000001`), taken in the transaction that writes the row.
 */
@Entity({ name: 'invoices' })
export class Invoice {
  @PrimaryColumn({ type: 'bigint', transformer: bigintTransformer })
  id!: bigint;

  @Column({ type: 'varchar', length: 32 })
  number!: string;

  @Column({ name: 'order_id', type: 'bigint', transformer: bigintTransformer })
  orderId!: bigint;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
