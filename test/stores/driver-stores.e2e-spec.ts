import { describeLeafStoreContract } from 'nest-leaf/testing';
import { drizzle } from 'drizzle-orm/node-postgres';
import { PgLeafStore } from 'nest-leaf/pg';
import { kyselyStoreOn, mysqlStoreOn, pgStoreOn, sqliteStoreOn } from '../support/driver-stores.js';

// The plain-driver adapters of SqlLeafStore pass the contract a user's own store is checked with, each on the
// engines its driver reaches: the same SQL as TypeOrmLeafStore, through another executor.

const SUITE = 'driver_stores';

describeLeafStoreContract('PgLeafStore (pg Pool) on PostgreSQL', () => pgStoreOn(SUITE));
// MariaDB's default collation compares case-insensitively: the exact-lookup case meets the `similar` path here.
describeLeafStoreContract('MysqlLeafStore (mysql2 pool) on MariaDB', () => mysqlStoreOn(SUITE));
describeLeafStoreContract('SqliteLeafStore (better-sqlite3)', () => sqliteStoreOn());

// Kysely hands out no pool: its executor runs raw compiled queries, and db.transaction() where one is needed.
describeLeafStoreContract('KyselyLeafStore on PostgreSQL (PostgresDialect)', () => kyselyStoreOn('postgres', SUITE));
describeLeafStoreContract('KyselyLeafStore on MariaDB (MysqlDialect)', () => kyselyStoreOn('mariadb', SUITE));
describeLeafStoreContract('KyselyLeafStore on SQLite (SqliteDialect)', () => kyselyStoreOn('sqlite', SUITE));
// Drizzle wraps the app's own driver client, which it hands back as db.$client: the plain-driver store takes it.
describeLeafStoreContract('PgLeafStore on a Drizzle database ($client)', async () => {
  const { pool, close } = await pgStoreOn(`${SUITE}_drizzle`);
  const db = drizzle({ client: pool });
  return { store: new PgLeafStore(db.$client), close };
});
