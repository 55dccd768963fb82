import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { createTableOnce } from './create-table-once.js';

/**
 * `leaf_gapless`: one counter row per gapless series and period (`''` for a series without one), its `value` the
 * last number handed out, locked by the transaction that took it until that transaction ends. Leaf's `leaf_alloc` is
 * not touched.
 */
const PORTABLE_TABLE = `CREATE TABLE IF NOT EXISTS leaf_gapless (
  series varchar(128) NOT NULL,
  period varchar(8) NOT NULL DEFAULT '',
  value bigint NOT NULL,
  update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (series, period)
)`;

const CREATE_TABLE = {
  // A binary collation: under the default, case-insensitive one "Invoice" and "invoice" would share a counter.
  mysql: `CREATE TABLE IF NOT EXISTS leaf_gapless (
  series varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  period varchar(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  value bigint NOT NULL,
  update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (series, period)
) ENGINE=InnoDB`,
  postgres: PORTABLE_TABLE,
  sqlite: PORTABLE_TABLE,
} as const;

/** The engine of a TypeORM driver type (or of a `GaplessEngine`), for the table's DDL. */
const ENGINES = new Map<string, keyof typeof CREATE_TABLE>([
  ['mysql', 'mysql'],
  ['mariadb', 'mysql'],
  ['postgres', 'postgres'],
  ['better-sqlite3', 'sqlite'],
  ['sqlite', 'sqlite'],
]);

/** 'LeafGapless' in ASCII, truncated: the advisory lock that serializes the CREATE between PostgreSQL nodes. */
const PG_CREATE_LOCK = 0x4c656167;

/**
 * Creates `leaf_gapless`, the counters of gapless series (MySQL/MariaDB, PostgreSQL, SQLite). Add it to the
 * DataSource's `migrations` beside `LeafAllocMigration`. `IF NOT EXISTS`, and on PostgreSQL an advisory lock, let
 * several nodes run it at once on an empty database.
 */
export class LeafGaplessMigration1796601600000 implements MigrationInterface {
  name = 'LeafGaplessMigration1796601600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = String(queryRunner.connection.options.type);
    const sql = createGaplessTableSql(type);
    await createTableOnce(queryRunner, sql, ENGINES.get(type) === 'postgres', PG_CREATE_LOCK);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS leaf_gapless');
  }
}

/**
 * The `CREATE TABLE IF NOT EXISTS leaf_gapless` statement for a TypeORM driver type (`mysql`, `mariadb`,
 * `postgres`, `better-sqlite3`) or an engine (`sqlite`), for those who create tables with their own tooling.
 */
export function createGaplessTableSql(type: string): string {
  const engine = ENGINES.get(type);
  if (engine === undefined) {
    throw new LeafStoreError(
      `No leaf_gapless table for "${type}": gapless numbers run on mysql, mariadb, postgres and better-sqlite3.`,
    );
  }
  return CREATE_TABLE[engine];
}

/** The migration under a stable name, for `migrations: [LeafAllocMigration, LeafGaplessMigration]`. */
export { LeafGaplessMigration1796601600000 as LeafGaplessMigration };
