import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTableSql } from '../sql/leaf-alloc.table.js';
import { dialectFor } from '../sql/sql-dialect.js';

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
    // PostgreSQL checks IF NOT EXISTS before it inserts the table's row type: two nodes creating at once both
    // pass the check and the second fails on pg_type's unique index. MySQL/MariaDB hold a metadata lock on the
    // name, and SQLite a database write lock, so there the second one already waits and then finds the table.
    if (dialectFor(type)?.name !== 'postgres') {
      await queryRunner.query(sql);
    } else if (queryRunner.isTransactionActive) {
      // Held to the commit, so the next node's check sees the committed table.
      await queryRunner.query(`SELECT pg_advisory_xact_lock(${PG_CREATE_LOCK})`);
      await queryRunner.query(sql);
    } else {
      // migrationsTransactionMode 'none': the CREATE commits on its own, so a session lock around it is enough.
      await queryRunner.query(`SELECT pg_advisory_lock(${PG_CREATE_LOCK})`);
      try {
        await queryRunner.query(sql);
      } finally {
        await queryRunner.query(`SELECT pg_advisory_unlock(${PG_CREATE_LOCK})`);
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS leaf_alloc');
  }
}

export { createTableSql };

/** The migration under a stable name, for `migrations: [LeafAllocMigration]`. */
export { LeafAllocMigration1732147200000 as LeafAllocMigration };
