import { LeafStoreError } from '../errors/leaf-store.error.js';
import { dialectFor } from './sql-dialect.js';

// Here and not beside the TypeORM migration: the plain-driver and Prisma subpaths export createTableSql, and their
// declarations must not reach typeorm's types in an app that does not install typeorm.

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

/** The `CREATE TABLE IF NOT EXISTS leaf_alloc` statement for an engine: a TypeORM driver type
 * (`'postgres'`, `'mysql'`, `'mariadb'`, `'better-sqlite3'`, …). */
export function createTableSql(driverType: string): string {
  const dialect = dialectFor(driverType);
  if (!dialect) throw new LeafStoreError(`No leaf_alloc migration for the TypeORM driver "${driverType}".`);
  return CREATE_TABLE[dialect.name];
}
