import type { ValueTransformer } from 'typeorm';

/**
 * A `bigint` column's value as a JavaScript `bigint` both ways: TypeORM reads BIGINT back as a string on MySQL,
 * MariaDB and PostgreSQL (and as a number on SQLite), so without it a key saved as `1001n` is read back as `'1001'`.
 * Written as a decimal string, which every driver binds exactly; `null` and `undefined` pass as they are.
 *
 * ```ts
 * @Column({ type: 'bigint', transformer: bigintTransformer }) customerId!: bigint;
 * ```
 * `@LeafId` puts it on the key itself. On SQLite, TypeORM's better-sqlite3 driver reads integers as numbers, exact only
 * up to 2^53: IDs stay below that unless a tag's `max_id` was set past it.
 */
export const bigintTransformer: ValueTransformer = {
  to: (value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
  from: (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? BigInt(value) : value,
};
