import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTableSql } from '../sql/leaf-alloc.table.js';
import { dialectFor } from '../sql/sql-dialect.js';
import { createTableOnce } from './create-table-once.js';

/**
 * Key of the PostgreSQL advisory lock that serializes the CREATE between nodes: 'Leaf' in ASCII, so that it is
 * recognizable in pg_locks. Advisory locks are per database, so other databases on the server are not held up.
 */
const PG_CREATE_LOCK = 0x4c656166;

/**
 * Creates `leaf_alloc` (MySQL/MariaDB, PostgreSQL, SQLite). Add it to the DataSource's `migrations`.
 * `IF NOT EXISTS` lets it run over a table that Leaf's own script created, and several nodes may run it at
 * once on an empty database: one creates the table, the others find it.
 *
 * TypeORM's own bookkeeping is another matter: each node creates TypeORM's `migrations` table, unguarded,
 * before running any migration, and on an empty database all but one of the nodes that start together can
 * fail there ("Table 'migrations' already exists"). Boot with retries (`TypeOrmModule`'s `retryAttempts`),
 * or run the migrations once before the nodes start.
 */
export class LeafAllocMigration1732147200000 implements MigrationInterface {
  name = 'LeafAllocMigration1732147200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = String(queryRunner.connection.options.type);
    const sql = createTableSql(type);
    await createTableOnce(queryRunner, sql, dialectFor(type)?.name === 'postgres', PG_CREATE_LOCK);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS leaf_alloc');
  }
}

export { createTableSql };

/** The migration under a stable name, for `migrations: [LeafAllocMigration]`. */
export { LeafAllocMigration1732147200000 as LeafAllocMigration };
