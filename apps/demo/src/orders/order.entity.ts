import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer, intTransformer } from '../common/bigint.transformer.js';

/** An order; its id is a Leaf ID of the `order` tag, set before the insert. */
@Entity({ name: 'orders' })
export class Order {
  @PrimaryColumn({ type: 'bigint', transformer: bigintTransformer })
  id!: bigint;

  @Column({ type: 'varchar', length: 100 })
  customer!: string;

  @Column({ name: 'amount_cents', type: 'int', transformer: intTransformer })
  amountCents!: number;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
