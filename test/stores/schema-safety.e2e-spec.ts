import { afterEach, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { IdGenerator, LeafModule, LeafStoreError } from 'nest-leaf';
import { createTableSql, LeafAlloc } from 'nest-leaf/typeorm';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from '../support/engines.js';
import { LEAF_SCRIPT_DDL } from '../../harness/mariadb.js';
import { leafAllocDefinition } from '../support/schema-snapshot.js';

// leaf_alloc is shared with Leaf's Java nodes: a host's `synchronize: true` must neither alter it nor create
// a table of its own making in its place.

const SUITE = 'schema_safety';
const engines: Array<[string, () => Promise<EngineDatabase>]> = [
  ['MariaDB', () => mariadbDatabase(SUITE)],
  ['PostgreSQL', () => postgresDatabase(SUITE)],
  ['SQLite (better-sqlite3)', sqliteDatabase],
];

/** DataSources opened by a test, failed boots included, closed after it. */
const opened: DataSource[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((dataSource) => dataSource.isInitialized && dataSource.destroy()));
});

async function open(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = new DataSource(options);
  opened.push(dataSource);
  return dataSource.initialize();
}

/** Creates leaf_alloc with the given DDL and returns its definition. */
async function createTable(database: EngineDatabase, ddl = createTableSql(String(database.options.type))) {
  const dataSource = await open(database.options);
  await dataSource.query(ddl);
  return leafAllocDefinition(dataSource);
}

/** SQLite hands integers over as JS numbers unless asked for bigints, as a host reading BIGINT IDs must. */
function exactIntegers(database: EngineDatabase): Partial<DataSourceOptions> {
  if (database.engine !== 'sqlite') return {};
  return {
    prepareDatabase: (db: { defaultSafeIntegers(on: boolean): unknown }) => db.defaultSafeIntegers(true),
  } as never;
}

/**
 * A host app with `synchronize: true` and the entity found through `autoLoadEntities` (registered by the host's own
 * `forFeature`: LeafModule registers none) or `entities`.
 */
async function bootHost(database: EngineDatabase, entities: 'autoLoadEntities' | 'entities') {
  const typeorm: TypeOrmModuleOptions = {
    ...database.options,
    synchronize: true,
    retryAttempts: 0,
    ...(entities === 'autoLoadEntities' ? { autoLoadEntities: true } : { entities: [LeafAlloc] }),
  };
  @Module({
    imports: [
      TypeOrmModule.forRootAsync({
        useFactory: () => typeorm,
        dataSourceFactory: async (options) => {
          const dataSource = new DataSource(options!);
          opened.push(dataSource);
          return dataSource;
        },
      }),
      ...(entities === 'autoLoadEntities' ? [TypeOrmModule.forFeature([LeafAlloc])] : []),
      LeafModule.forRoot({ bizTags: ['order'] }),
    ],
  })
  class HostModule {}
  const moduleRef = await Test.createTestingModule({ imports: [HostModule] }).compile();
  moduleRef.useLogger(false);
  return moduleRef.init();
}

describe.each(engines)('a host with synchronize: true on %s', (_name, create) => {
  it.each(['autoLoadEntities', 'entities'] as const)(
    "leaves a leaf_alloc created by Leaf's script exactly as it was (entity found through %s)",
    async (entities) => {
      const database = await create();
      try {
        const before = await createTable(database);
        expect(before).toBeDefined();
        const app = await bootHost(database, entities);
        try {
          expect(await app.get(IdGenerator).nextId('order')).toBe(1n);
        } finally {
          await app.close();
        }
        const after = await leafAllocDefinition(await open(database.options));
        expect(after).toBe(before);
      } finally {
        await database.dispose();
      }
    },
  );

  it('does not create leaf_alloc when it is missing: the boot fails and names LeafAllocMigration', async () => {
    const database = await create();
    try {
      const attempt = bootHost(database, 'autoLoadEntities');
      await expect(attempt).rejects.toBeInstanceOf(LeafStoreError);
      await expect(attempt).rejects.toThrow(/leaf_alloc does not exist.*LeafAllocMigration/s);
      expect(await leafAllocDefinition(await open(database.options))).toBeUndefined();
    } finally {
      await database.dispose();
    }
  });

  it('reads and writes leaf_alloc through a repository of LeafAlloc, the table unchanged', async () => {
    const database = await create();
    try {
      const before = await createTable(database);
      const dataSource = await open({
        ...database.options,
        ...exactIntegers(database),
        entities: [LeafAlloc],
        synchronize: true,
      } as DataSourceOptions);
      const repository = dataSource.getRepository(LeafAlloc);
      const started = Date.now();
      await repository.save(
        repository.create({ bizTag: 'invoice', maxId: 9_007_199_254_740_993n, step: 10, description: 'invoices' }),
      );
      await dataSource.query("INSERT INTO leaf_alloc (biz_tag, step) VALUES ('plain', 5)");

      const invoice = await repository.findOneByOrFail({ bizTag: 'invoice' });
      expect(invoice).toMatchObject({
        bizTag: 'invoice',
        maxId: 9_007_199_254_740_993n,
        step: 10,
        description: 'invoices',
      });
      const plain = await repository.findOneByOrFail({ bizTag: 'plain' });
      expect(plain).toMatchObject({ maxId: 1n, step: 5, description: null });
      for (const row of [invoice, plain]) {
        expect(row.updateTime).toBeInstanceOf(Date);
        // Whole seconds on every engine: the column is Leaf's TIMESTAMP, without fractions.
        expect(Math.abs(row.updateTime.getTime() - started)).toBeLessThan(60_000);
      }

      await repository.update({ bizTag: 'plain' }, { step: 7, description: 'renamed' });
      expect(await repository.findOneByOrFail({ bizTag: 'plain' })).toMatchObject({ step: 7, description: 'renamed' });
      expect(await leafAllocDefinition(dataSource)).toBe(before);
    } finally {
      await database.dispose();
    }
  });
});

describe('LeafAlloc on SQLite without safe integers', () => {
  it('refuses a max_id past 2^53 rather than reading it rounded', async () => {
    const database = await sqliteDatabase();
    try {
      await createTable(database);
      const dataSource = await open({ ...database.options, entities: [LeafAlloc] } as DataSourceOptions);
      await dataSource.query("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('big', 9007199254740993, 1)");
      await expect(dataSource.getRepository(LeafAlloc).findOneBy({ bizTag: 'big' })).rejects.toThrow(
        new LeafStoreError(
          'leaf_alloc.max_id came back from the driver as an inexact number (9007199254740992). On SQLite, enable ' +
            'better-sqlite3 safe integers (prepareDatabase: (db) => db.defaultSafeIntegers(true)) to read it exactly.',
        ),
      );
    } finally {
      await database.dispose();
    }
  });
});

describe("a host with synchronize: true on MariaDB, table from Leaf's script verbatim", () => {
  it('leaves the table exactly as it was', async () => {
    const database = await mariadbDatabase(SUITE);
    try {
      const before = await createTable(database, LEAF_SCRIPT_DDL);
      const app = await bootHost(database, 'autoLoadEntities');
      try {
        expect(await app.get(IdGenerator).nextId('order')).toBe(1n);
      } finally {
        await app.close();
      }
      expect(await leafAllocDefinition(await open(database.options))).toBe(before);
    } finally {
      await database.dispose();
    }
  });
});
