import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IdGenerator, InvalidLeafOptionsError, LeafAdmin, LeafModule, LeafStoreError, type LeafStore } from 'nest-leaf';
import { LeafAllocMigration } from 'nest-leaf/typeorm';
import { InMemoryLeafStore } from 'nest-leaf/testing';
import { sqliteDatabase, type EngineDatabase } from '../support/engines.js';

// A store of the app's own replaces the TypeORM one, through forRoot or forRootAsync's factory, and the app then runs
// with no TypeORM module, DataSource or entity at all. The core's invariants hold whatever the store.

const opened: TestingModule[] = [];
const databases: EngineDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((moduleRef) => moduleRef.close()));
  await Promise.all(databases.splice(0).map((database) => database.dispose()));
});

async function boot(...imports: Array<DynamicModule | (new () => unknown)>): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  moduleRef.useLogger(false);
  opened.push(moduleRef);
  return moduleRef.init();
}

/** Where a real app would keep its client (a Redis connection, an HTTP client…): the store is built from it. */
@Injectable()
class StoreClient {
  readonly store = new InMemoryLeafStore({ invoice: { maxId: 700n, step: 10 } });
}

@Module({ providers: [StoreClient], exports: [StoreClient] })
class StoreClientModule {}

describe('LeafModule with a store of its own', () => {
  it('serves from forRoot({ store }) with no TypeORM module or DataSource in the app', async () => {
    const store = new InMemoryLeafStore();
    const app = await boot(LeafModule.forRoot({ bizTags: ['order'], step: 5, store }));
    expect(() => app.get(getDataSourceToken(), { strict: false })).toThrow(); // no DataSource anywhere
    const ids = app.get(IdGenerator);
    expect([await ids.nextId('order'), await ids.nextId('order')]).toEqual([1n, 2n]);
    await app.get(LeafAdmin).createTag('coupon', { step: 3, startAt: 40n });
    expect(await ids.nextIds('coupon', 4)).toEqual([40n, 41n, 42n, 43n]);
    expect(ids.inspect().map((tag) => tag.tag)).toEqual(['order', 'coupon']);
    await app.close();
    opened.splice(0);
    // The shutdown gave the unused tails back to the store, as it does to leaf_alloc.
    expect(store.rows.get('order')?.maxId).toBe(3n);
    expect(store.rows.get('coupon')?.maxId).toBe(44n);
  });

  it("takes the store from forRootAsync's factory, built from an injected client", async () => {
    const app = await boot(
      LeafModule.forRootAsync({
        imports: [StoreClientModule],
        inject: [StoreClient],
        useFactory: (client: StoreClient) => ({ bizTags: ['invoice'], store: client.store }),
      }),
    );
    expect(await app.get(IdGenerator).nextIds('invoice', 3)).toEqual([700n, 701n, 702n]);
    expect(app.get(StoreClient, { strict: false }).store.reserveCalls).toBe(1);
  });

  it('accepts any object with the LeafStore methods, not only a class instance', async () => {
    const inner = new InMemoryLeafStore();
    const calls: string[] = [];
    const store: LeafStore = {
      engine: 'wrapped',
      listTags: (signal) => inner.listTags(signal),
      findTag: (tag, signal) => inner.findTag(tag, signal),
      createTags: (tags, signal) => inner.createTags(tags, signal),
      reserve: (tag, step, signal) => (calls.push(`reserve ${tag} ${step}`), inner.reserve(tag, step, signal)),
      giveBack: (tag, first, end, signal) => inner.giveBack(tag, first, end, signal),
      insertTag: (row, signal) => inner.insertTag(row, signal),
      setStep: (tag, step, signal) => inner.setStep(tag, step, signal),
    };
    const app = await boot(LeafModule.forRoot({ bizTags: [{ tag: 'order', step: 7 }], store, dynamicStep: false }));
    expect(await app.get(IdGenerator).nextId('order')).toBe(1n);
    expect(calls).toEqual(['reserve order 7']);
  });

  it('keeps "never re-issue" over any store: a row moved back is refused with LeafStoreError', async () => {
    const store = new InMemoryLeafStore();
    const app = await boot(LeafModule.forRoot({ bizTags: [{ tag: 'order', step: 10 }], store, dynamicStep: false }));
    const ids = app.get(IdGenerator);
    expect(await ids.nextIds('order', 10)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i + 1)));
    await new Promise((resolve) => setTimeout(resolve, 20)); // the prefetch of [11, 21) lands
    store.rows.get('order')!.maxId = 5n; // an operator resets the row
    expect(await ids.nextIds('order', 10)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i + 11)));
    await expect(ids.nextId('order')).rejects.toBeInstanceOf(LeafStoreError);
    await expect(ids.nextId('order')).rejects.toThrow(/moved back.*UPDATE leaf_alloc SET max_id = 21/s);
  });
});

describe('LeafModule without a store', () => {
  it('fails at bootstrap, saying to pass store or import TypeOrmModule, when the app has no DataSource', async () => {
    const attempt = boot(LeafModule.forRoot({ bizTags: ['order'] }));
    await expect(attempt).rejects.toBeInstanceOf(InvalidLeafOptionsError);
    await expect(attempt).rejects.toThrow(
      'Invalid LeafModule option "store": LeafModule has no store: no store option was given, and the default store ' +
        '(leaf_alloc through TypeORM) found no default TypeORM DataSource.',
    );
    await expect(attempt).rejects.toThrow(/Pass store \(a LeafStore\).*import TypeOrmModule\.forRoot/);
  });

  it('names the DataSource it looked for when forRootAsync names one', async () => {
    const attempt = boot(LeafModule.forRootAsync({ dataSource: 'ids', useFactory: () => ({ bizTags: ['order'] }) }));
    await expect(attempt).rejects.toThrow(
      /found no TypeORM DataSource "ids".*TypeOrmModule\.forRoot\(\{ \.\.\. name: "ids", \}\)/s,
    );
  });

  it('refuses store together with dataSource, in forRoot at once and in forRootAsync at bootstrap', async () => {
    const store = new InMemoryLeafStore();
    expect(() => LeafModule.forRoot({ bizTags: ['order'], store, dataSource: 'ids' })).toThrow(
      InvalidLeafOptionsError.storeWithDataSource('ids'),
    );
    const attempt = boot(LeafModule.forRootAsync({ dataSource: 'ids', useFactory: () => ({ bizTags: ['o'], store }) }));
    await expect(attempt).rejects.toThrow(InvalidLeafOptionsError.storeWithDataSource('ids'));
  });

  it("refuses at bootstrap a factory's store that is not a LeafStore, naming what it lacks", async () => {
    const attempt = boot(
      LeafModule.forRootAsync({ useFactory: () => ({ bizTags: ['o'], store: { engine: 'x' } as never }) }),
    );
    await expect(attempt).rejects.toThrow(/"store": expected a LeafStore, got an object without listTags, findTag/);
  });
});

describe('LeafModule on the default TypeORM store', () => {
  it('waits for a DataSource that starts slowly, since the store is built only once it exists', async () => {
    const database = await sqliteDatabase();
    databases.push(database);
    const app = await boot(
      TypeOrmModule.forRootAsync({
        useFactory: async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return { ...database.options, migrations: [LeafAllocMigration], migrationsRun: true };
        },
      }),
      LeafModule.forRootAsync({ useFactory: () => ({ bizTags: ['order'] }) }),
    );
    expect(await app.get(IdGenerator).nextId('order')).toBe(1n);
    expect(app.get(DataSource, { strict: false }).isInitialized).toBe(true);
  });

  it('ignores the DataSource when a store is given: leaf_alloc need not exist there', async () => {
    const database = await sqliteDatabase();
    databases.push(database);
    const store = new InMemoryLeafStore();
    const app = await boot(TypeOrmModule.forRoot(database.options), LeafModule.forRoot({ bizTags: ['order'], store }));
    expect(await app.get(IdGenerator).nextId('order')).toBe(1n);
    expect(store.reserveCalls).toBe(1);
    const tables = await app
      .get(DataSource, { strict: false })
      .query("SELECT name FROM sqlite_master WHERE type = 'table'");
    expect(tables).toEqual([]);
  });
});
