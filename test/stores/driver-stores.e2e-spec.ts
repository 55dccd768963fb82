import { describeLeafStoreContract } from 'nest-leaf/testing';
import { mysqlStoreOn, pgStoreOn, sqliteStoreOn } from '../support/driver-stores.js';

// The plain-driver adapters of SqlLeafStore pass the contract a user's own store is checked with, each on the
// engines its driver reaches: the same SQL as TypeOrmLeafStore, through another executor.

const SUITE = 'driver_stores';

describeLeafStoreContract('PgLeafStore (pg Pool) on PostgreSQL', () => pgStoreOn(SUITE));
// MariaDB's default collation compares case-insensitively: the exact-lookup case meets the `similar` path here.
describeLeafStoreContract('MysqlLeafStore (mysql2 pool) on MariaDB', () => mysqlStoreOn(SUITE));
describeLeafStoreContract('SqliteLeafStore (better-sqlite3)', () => sqliteStoreOn());
