import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { IdGenerator, LeafModule } from 'nest-leaf';
import { createTableSql, LeafAllocMigration } from 'nest-leaf/typeorm';
import { expectUnique } from '../../harness/assertions.js';
import { mariadbDatabase, postgresDatabase, type EngineDatabase } from '../support/engines.js';
import { leafAllocDefinition } from '../support/schema-snapshot.js';

// The nodes of a service start together on a fresh database (a first deploy, a CI job), each running the
// migrations. Each node here is a DataSource with a pool of its own, as separate processes would have.
const NODES = 6;
const TRIALS = 5;
const SUITE = 'migration_race';

// TypeOrmModule logs each retry as an error; the retries are expected here.
const quiet: LoggerService = { log: () => undefined, error: () => undefined, warn: () => undefined };

const engines: Array<[string, () => Promise<EngineDatabase>]> = [
  ['PostgreSQL', () => postgresDatabase(SUITE)],
  ['MariaDB', () => mariadbDatabase(SUITE)],
];

function migrating(database: EngineDatabase, mode: 'all' | 'none' = 'all'): DataSourceOptions {
  return {
    ...database.options,
    migrations: [LeafAllocMigration],
    migrationsRun: true,
    migrationsTransactionMode: mode,
  } as DataSourceOptions;
}

/** Starts every node at once and answers the error of each one that failed. */
async function bootTogether(options: DataSourceOptions): Promise<Array<Error & { query?: string }>> {
  const nodes = Array.from({ length: NODES }, () => new DataSource(options));
  const outcomes = await Promise.allSettled(nodes.map((node) => node.initialize()));
  await Promise.all(nodes.map((node) => node.isInitialized && node.destroy()));
  return outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
}

async function withDataSource<T>(database: EngineDatabase, use: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = await new DataSource(database.options).initialize();
  try {
    return await use(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

const definitionOf = (database: EngineDatabase) =>
  withDataSource(database, (dataSource) => leafAllocDefinition(dataSource, { identity: false }));

/** Back to no table at all: cheaper than a new database, which PostgreSQL takes about a second to create. */
function emptyDatabase(database: EngineDatabase): Promise<void> {
  return withDataSource(database, async (dataSource) => {
    await dataSource.query('DROP TABLE IF EXISTS leaf_alloc');
    await dataSource.query('DROP TABLE IF EXISTS migrations');
  });
}

/** TypeORM's `migrations` table, as an app's earlier migrations would have left it. */
async function migratedBefore(database: EngineDatabase): Promise<void> {
  const dataSource = await new DataSource({
    ...database.options,
    migrationsRun: true,
  } as DataSourceOptions).initialize();
  await dataSource.destroy();
}

describe.each(engines)('six nodes running LeafAllocMigration at once on %s', (_name, create) => {
  let leafTable: string | undefined;
  let database: EngineDatabase;

  beforeAll(async () => {
    database = await create();
    leafTable = await withDataSource(database, async (dataSource) => {
      await dataSource.query(createTableSql(String(database.options.type)));
      return leafAllocDefinition(dataSource, { identity: false });
    });
  });

  it.each(['all', 'none'] as const)(
    `all boot with migrationsRun (migrationsTransactionMode '%s') on a database TypeORM has migrated before, in ${TRIALS} trials`,
    async (mode) => {
      const failures: string[] = [];
      for (let trial = 1; trial <= TRIALS; trial++) {
        await emptyDatabase(database);
        await migratedBefore(database);
        failures.push(
          ...(await bootTogether(migrating(database, mode))).map((error) => `trial ${trial}: ${error.message}`),
        );
        expect(await definitionOf(database)).toBe(leafTable);
      }
      expect(failures).toEqual([]);
    },
  );

  it(`on an empty database, fail only where TypeORM creates its own migrations table, and boot on a retry (${TRIALS} trials)`, async () => {
    const notTypeOrms: string[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      await emptyDatabase(database);
      const failures = await bootTogether(migrating(database));
      // TypeORM checks for its table, then creates it without IF NOT EXISTS: nodes that start together can collide.
      notTypeOrms.push(
        ...failures.filter((error) => !/CREATE TABLE [`"]migrations[`"]/.test(error.query ?? '')).map((e) => e.message),
      );
      // A node retrying later, as TypeOrmModule's retryAttempts does, finds both tables.
      expect(await bootTogether(migrating(database))).toEqual([]);
      expect(await definitionOf(database)).toBe(leafTable);
    }
    expect(notTypeOrms).toEqual([]);
  });

  describe('then serving IDs', () => {
    const apps: Array<{ close(): Promise<void> }> = [];
    afterAll(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    it('boots LeafModule on every node at once on an empty database (with TypeOrmModule retries) and issues no duplicate', async () => {
      await emptyDatabase(database);
      @Module({
        imports: [
          TypeOrmModule.forRoot({ ...migrating(database), autoLoadEntities: true, retryAttempts: 3, retryDelay: 100 }),
          LeafModule.forRoot({ bizTags: ['order'], step: 10 }),
        ],
      })
      class NodeModule {}
      const boots = await Promise.allSettled(
        Array.from({ length: NODES }, async () => {
          const moduleRef = await Test.createTestingModule({ imports: [NodeModule] })
            .setLogger(quiet)
            .compile();
          const app = await moduleRef.init();
          apps.push(app);
          return app.get(IdGenerator);
        }),
      );
      expect(boots.flatMap((boot) => (boot.status === 'rejected' ? [String(boot.reason)] : []))).toEqual([]);

      const generators = boots.map((boot) => (boot as PromiseFulfilledResult<IdGenerator>).value);
      const issued = await Promise.all(
        generators.map((ids) => Promise.all(Array.from({ length: 5 }, () => ids.nextIds('order', 7)))),
      );
      expect(issued.flat(2)).toHaveLength(NODES * 5 * 7);
      expectUnique(issued.flat(2));
      expect(await definitionOf(database)).toBe(leafTable);
    });
  });
});
