import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { dialectFor } from './sql-dialect.js';

/** PostgreSQL and SQLite have no ON UPDATE: the reservation statements set update_time themselves. */
const PORTABLE_TABLE = `CREATE TABLE IF NOT EXISTS leaf_alloc (
  biz_tag varchar(128) NOT NULL DEFAULT '' PRIMARY KEY,
  max_id bigint NOT NULL DEFAULT 1,
  step int NOT NULL,
  description varchar(256) DEFAULT NULL,
  update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
)`;

/** The table as Meituan Leaf's own script creates it, per engine. */
const CREATE_TABLE: Record<string, string> = {
  mysql: `CREATE TABLE IF NOT EXISTS leaf_alloc (
  biz_tag varchar(128) NOT NULL DEFAULT '',
  max_id bigint NOT NULL DEFAULT 1,
  step int NOT NULL,
  description varchar(256) DEFAULT NULL,
  update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (biz_tag)
) ENGINE=InnoDB`,
  postgres: PORTABLE_TABLE,
  sqlite: PORTABLE_TABLE,
};

/**
 * Creates `leaf_alloc` (MySQL/MariaDB, PostgreSQL, SQLite). Add it to the DataSource's `migrations`.
 * `IF NOT EXISTS` lets it run over a table that Leaf's own script created.
 */
export class LeafAllocMigration1732147200000 implements MigrationInterface {
  name = 'LeafAllocMigration1732147200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(createTableSql(String(queryRunner.connection.options.type)));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS leaf_alloc');
  }
}

/** The `CREATE TABLE IF NOT EXISTS leaf_alloc` statement for a TypeORM driver type. */
export function createTableSql(driverType: string): string {
  const dialect = dialectFor(driverType);
  if (!dialect) throw new LeafStoreError(`No leaf_alloc migration for the TypeORM driver "${driverType}".`);
  return CREATE_TABLE[dialect.name];
}

/** The migration under a stable name, for `migrations: [LeafAllocMigration]`. */
export { LeafAllocMigration1732147200000 as LeafAllocMigration };
