import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource, Not, type DataSourceOptions } from 'typeorm';
import {
  IdGenerator,
  InvalidLeafOptionsError,
  LeafModule,
  LeafStoreError,
  LeafUnavailableError,
  type LeafModuleOptions,
} from 'nest-leaf';
import { LeafAlloc, LeafAllocMigration } from 'nest-leaf/typeorm';
import { expectUnique } from '../../harness/assertions.js';
import { startLeafApp } from '../../harness/leaf-app.js';
import { FENCE_MARKER as FENCE } from '../../libs/leaf/src/store/fence-marker.js';
import { freshDatabase, MYSQL, mysqlDataSourceOptions, type TestDatabase } from '../../harness/mariadb.js';

const mysqlOptions = (database: string, port = MYSQL.port) => ({
  ...mysqlDataSourceOptions(database),
  port,
  retryAttempts: 0,
});

@Injectable()
class OrderService {
  constructor(@Inject(IdGenerator) private readonly ids: IdGenerator) {}
  create() {
    return this.ids.nextId('order');
  }
}

@Injectable()
class UserService {
  // Plain constructor injection: the class itself is the token.
  constructor(private readonly ids: IdGenerator) {}
  create() {
    return this.ids.nextId('user');
  }
}

@Module({ providers: [OrderService, UserService], exports: [OrderService, UserService] })
class FeatureModule {}

/** Initializations started, settled or not: a failed bootstrap can leave one still connecting. */
const opened: Array<Promise<DataSource | undefined>> = [];

/** Boots a module; DataSources are created here so that a bootstrap that fails cannot leak one. */
async function boot(
  dataSourceOptions: ReturnType<typeof mysqlOptions> & Record<string, unknown>,
  leaf: DynamicModule,
  extra: unknown[] = [],
) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRootAsync({
        name: dataSourceOptions.name as string | undefined,
        useFactory: () => dataSourceOptions as DataSourceOptions,
        dataSourceFactory: async (options) => {
          const initializing = new DataSource(options!).initialize();
          opened.push(initializing.catch(() => undefined));
          return initializing;
        },
      }),
      leaf,
      ...(extra as never[]),
    ],
  }).compile();
  moduleRef.useLogger(false);
  return moduleRef.init();
}

describe('LeafModule wiring', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase('leaf_module', { withTable: false });
  });
  afterEach(async () => {
    const dataSources = await Promise.all(opened.splice(0));
    await Promise.all(dataSources.map((dataSource) => dataSource?.isInitialized && dataSource.destroy()));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('creates leaf_alloc with the shipped migration and serves @Inject and plain injection through a global async module on a named DataSource', async () => {
    const app = await boot(
      {
        ...mysqlOptions(db.name),
        name: 'ids',
        entities: [LeafAlloc],
        migrations: [LeafAllocMigration],
        migrationsRun: true,
      },
      LeafModule.forRootAsync({
        dataSource: 'ids',
        isGlobal: true,
        useFactory: async (): Promise<LeafModuleOptions> => ({ bizTags: ['order', 'user'], step: 20 }),
      }),
      [FeatureModule],
    );
    try {
      expect(await app.get(OrderService).create()).toBe(1n);
      expect(await app.get(UserService).create()).toBe(1n);
      const dataSource = app.get<DataSource>(getDataSourceToken('ids'));
      // The failover fence's marker row is no tag's.
      const rows = await dataSource
        .getRepository(LeafAlloc)
        .find({ where: { bizTag: Not(FENCE) }, order: { bizTag: 'ASC' } });
      expect(rows.map((row) => [row.bizTag, row.maxId, row.step])).toEqual([
        ['order', 21n, 20],
        ['user', 21n, 20],
      ]);
    } finally {
      await app.close();
    }
  });

  it('fails on invalid options, naming the option and its range, before opening a connection', async () => {
    expect(() => LeafModule.forRoot({ bizTags: ['order'], threshold: 2 })).toThrow(
      new InvalidLeafOptionsError('threshold', 'expected a number greater than 0 and at most 1, got 2'),
    );
    const attempt = boot(
      { ...mysqlOptions(db.name), autoLoadEntities: true },
      LeafModule.forRootAsync({ useFactory: () => ({ bizTags: ['order'], step: -5 }) }),
    );
    await expect(attempt).rejects.toThrow(
      'Invalid LeafModule option "step": expected an integer from 1 to 1000000 (maxStep), got -5',
    );
  });

  it('fails bootstrap with a fix when leaf_alloc is missing', async () => {
    const empty = await freshDatabase('leaf_module_no_table', { withTable: false });
    try {
      const attempt = boot(
        { ...mysqlOptions(empty.name), autoLoadEntities: true },
        LeafModule.forRoot({ bizTags: ['order'] }),
      );
      await expect(attempt).rejects.toBeInstanceOf(LeafStoreError);
      await expect(attempt).rejects.toThrow(/leaf_alloc does not exist.*LeafAllocMigration/s);
    } finally {
      await empty.close();
    }
  });

  it('fails bootstrap when the database is unreachable', async () => {
    const attempt = boot(
      { ...mysqlOptions(db.name, 1), autoLoadEntities: true },
      LeafModule.forRoot({ bizTags: ['order'] }),
    );
    await expect(attempt).rejects.toThrow(/ECONNREFUSED/);
  });

  it('lets several nodes boot at once on a table without their rows, creating each row once', async () => {
    const fresh = await freshDatabase('leaf_module_race');
    const nodes = await Promise.all(
      Array.from({ length: 4 }, () => startLeafApp(fresh.name, { bizTags: ['race'], step: 10 })),
    );
    try {
      const ids = await Promise.all(nodes.map((node) => node.ids.nextIds('race', 25)));
      expectUnique(ids.flat());
      expect(await fresh.query('SELECT biz_tag, step FROM leaf_alloc WHERE biz_tag <> ?', [FENCE])).toEqual([
        { biz_tag: 'race', step: 10 },
      ]);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await fresh.close();
    }
    await expect(nodes[0].ids.nextId('race')).rejects.toMatchObject({ reason: 'shutting-down' });
    await expect(nodes[0].ids.nextId('race')).rejects.toBeInstanceOf(LeafUnavailableError);
  });
});
