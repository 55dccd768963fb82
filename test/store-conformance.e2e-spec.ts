import { DataSource, type DataSourceOptions } from 'typeorm';
import { LeafAllocMigration, TypeOrmLeafStore } from 'nest-leaf';
import { describeLeafStoreContract, InMemoryLeafStore, type LeafStoreUnderTest } from 'nest-leaf/testing';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from './support/engines.js';

// Every store shipped in the package passes the contract a user's own store is checked with, called as a user calls
// it: no import from @jest/globals, the suite declares its cases with the runner's globals. (The Redis stores run it
// in their own test files.)

const SUITE = 'store_conformance';

/** leaf_alloc created by the shipped migration in a database of the suite's own, and the TypeORM store on it. */
async function typeOrmStore(create: () => Promise<EngineDatabase>): Promise<LeafStoreUnderTest> {
  const database = await create();
  const options = { ...database.options, migrations: [LeafAllocMigration], migrationsRun: true } as DataSourceOptions;
  const dataSource = await new DataSource(options).initialize();
  return {
    store: new TypeOrmLeafStore(dataSource),
    close: async () => {
      await dataSource.destroy();
      await database.dispose();
    },
  };
}

describeLeafStoreContract('InMemoryLeafStore', async () => ({ store: new InMemoryLeafStore() }));
describeLeafStoreContract('TypeOrmLeafStore on SQLite (better-sqlite3)', () => typeOrmStore(sqliteDatabase));
describeLeafStoreContract('TypeOrmLeafStore on PostgreSQL', () => typeOrmStore(() => postgresDatabase(SUITE)));
// MariaDB's default collation compares case-insensitively: the exact-lookup case meets the `similar` path here.
describeLeafStoreContract('TypeOrmLeafStore on MariaDB', () => typeOrmStore(() => mariadbDatabase(SUITE)));
