import { describeLeafStoreContract, InMemoryLeafStore } from 'nest-leaf/testing';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, typeOrmStoreOn } from '../support/engines.js';

// Every store shipped in the package passes the contract a user's own store is checked with, called as a user calls
// it: no import from @jest/globals, the suite declares its cases with the runner's globals. (The Redis stores run it
// in their own test files.)

const SUITE = 'store_conformance';

describeLeafStoreContract('InMemoryLeafStore', async () => ({ store: new InMemoryLeafStore() }));
describeLeafStoreContract('TypeOrmLeafStore on SQLite (better-sqlite3)', () => typeOrmStoreOn(sqliteDatabase));
describeLeafStoreContract('TypeOrmLeafStore on PostgreSQL', () => typeOrmStoreOn(() => postgresDatabase(SUITE)));
// MariaDB's default collation compares case-insensitively: the exact-lookup case meets the `similar` path here.
describeLeafStoreContract('TypeOrmLeafStore on MariaDB', () => typeOrmStoreOn(() => mariadbDatabase(SUITE)));
