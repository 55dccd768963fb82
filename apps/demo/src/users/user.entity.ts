import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '../common/bigint.transformer.js';

/** A user; its id is a Leaf ID of the `user` tag, set before the insert. */
@Entity({ name: 'users' })
export class User {
  @PrimaryColumn({ type: 'bigint', transformer: bigintTransformer })
  id!: bigint;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** Unique, stored in lower case. */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
