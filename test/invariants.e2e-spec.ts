import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  IdGenerator,
  IdOverflowError,
  LeafAllocMigration,
  LeafModule,
  LeafStoreError,
  LeafUnavailableError,
  MAX_ID,
  UnknownBizTagError,
  type LeafModuleOptions,
} from 'nest-leaf';
import { LeafMetrics } from 'nest-leaf/prometheus';
import { Registry } from 'prom-client';
import { freshDatabase, type TestDatabase } from '../support/mariadb.js';
import { startLeafApp, type LeafApp } from '../support/leaf-app.js';
import { expectUnique, sleep } from './support/assertions.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from './support/engines.js';

/**
 * Promises the core keeps whatever the table, the clients or the clock do (the clock's are in
 * libs/leaf/src/segment/clock-jumps.spec.ts): each of these failed on the core before the reshape.
 */

const engines: Array<[string, () => Promise<EngineDatabase>]> = [
  ['SQLite', sqliteDatabase],
  ['PostgreSQL', () => postgresDatabase('invariants')],
  ['MariaDB', () => mariadbDatabase('invariants')],
];

async function startOn(database: EngineDatabase, options: LeafModuleOptions) {
  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...database.options, migrations: [LeafAllocMigration], migrationsRun: true }),
      LeafModule.forRoot(options),
    ],
  })
  class InvariantsModule {}
  const moduleRef = await Test.createTestingModule({ imports: [InvariantsModule] }).compile();
  moduleRef.useLogger(false);
  const app = await moduleRef.init();
  return { app, ids: app.get(IdGenerator), dataSource: app.get<DataSource>(getDataSourceToken()) };
}

async function settle<T>(call: () => Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await call() };
  } catch (error) {
    return { error };
  }
}

describe.each(engines)('never re-issuing an ID on %s', (_name, create) => {
  let database: EngineDatabase;
  let app: INestApplicationContext;
  let ids: IdGenerator;
  let dataSource: DataSource;
  const issued = new Map<string, bigint[]>();

  beforeAll(async () => {
    database = await create();
    ({ app, ids, dataSource } = await startOn(database, {
      bizTags: ['reset', 'recreated'],
      step: 10,
      dynamicStep: false,
      threshold: 0.2,
      retryMinDelayMs: 20,
      retryMaxDelayMs: 50,
      waitTimeoutMs: 500,
    }));
  });
  afterAll(async () => {
    await app?.close();
    await database?.dispose();
  });

  /** Takes IDs until `count` came back or a call failed; resolves to the failure, if any. */
  async function take(tag: string, count: number): Promise<unknown> {
    if (!issued.has(tag)) issued.set(tag, []);
    for (let i = 0; i < count; i++) {
      const { value, error } = await settle(() => ids.nextId(tag));
      if (error !== undefined) return error;
      issued.get(tag)!.push(value!);
    }
    return undefined;
  }

  it.each([
    ['reset', "UPDATE leaf_alloc SET max_id = 1 WHERE biz_tag = 'reset'"],
    ['recreated', "DELETE FROM leaf_alloc WHERE biz_tag = 'recreated'"],
  ])('refuses a range below what it issued after the %s row moved back, and says what to do', async (tag, sql) => {
    expect(await take(tag, 25)).toBeUndefined();
    await dataSource.query(sql);
    if (tag === 'recreated')
      await dataSource.query("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('recreated', 1, 10)");
    const failure = await take(tag, 40);
    expect(failure).toBeInstanceOf(LeafStoreError);
    expect((failure as Error).message).toMatch(/moved back/);
    const [fix, safe] = /(UPDATE leaf_alloc SET max_id = (\d+) WHERE .*)\.$/.exec((failure as Error).message)!.slice(1);
    expectUnique(issued.get(tag)!);
    // Following the message's advice brings the tag back, above everything it issued (the refused reservations
    // may have moved max_id past it already: the statement only ever raises it).
    await dataSource.query(fix);
    await sleep(200);
    const after = await ids.nextId(tag);
    expect(after).toBeGreaterThanOrEqual(BigInt(safe));
    expectUnique([...issued.get(tag)!, after]);
  });

  it('serves the last IDs below 2^63-1 even when the step no longer fits, then IdOverflowError', async () => {
    await dataSource.query(`INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('last', ${MAX_ID - 15n}, 10)`);
    const last = await ids.nextIds('last', 15);
    expect([last[0], last.at(-1)]).toEqual([MAX_ID - 15n, MAX_ID - 1n]);
    await expect(ids.nextId('last')).rejects.toBeInstanceOf(IdOverflowError);
  });
});

describe('tags met for the first time, on MariaDB', () => {
  let db: TestDatabase;
  let leaf: LeafApp;

  beforeAll(async () => {
    db = await freshDatabase('invariants_tags');
    const rows = Array.from({ length: 200 }, (_, i) => `('found_${i}', 1, 10)`).join(', ');
    await db.query(`INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ${rows}`);
    leaf = await startLeafApp(db.name, {
      bizTags: [{ tag: 'order', step: 100 }],
      dynamicStep: false,
      checkIntervalMs: 20,
      idleTagTimeoutMs: 1500,
      maxTagLookups: 200,
    });
  });
  afterAll(async () => {
    await leaf?.close();
    await db?.close();
  });

  it('looks up a flood of unknown tags with a bounded share of the database, while a served tag keeps going', async () => {
    const [before] = await db.query<Array<{ Value: string }>>("SHOW GLOBAL STATUS LIKE 'Connections'");
    let served = 0;
    let serving = true;
    const load = (async () => {
      while (serving) {
        await leaf.ids.nextIds('order', 50);
        served += 50;
        await sleep(1);
      }
    })();
    const flood = await Promise.all(
      Array.from({ length: 60_000 }, (_, i) => settle(() => leaf.ids.nextId(`nobody_${i}`))),
    );
    serving = false;
    await load;
    const [after] = await db.query<Array<{ Value: string }>>("SHOW GLOBAL STATUS LIKE 'Connections'");
    const kinds = new Map<string, number>();
    for (const { error } of flood) {
      const kind =
        error instanceof LeafUnavailableError ? `unavailable:${error.reason}` : (error as Error).constructor.name;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(
      `60,000 unknown tags: ${JSON.stringify(Object.fromEntries(kinds))}; order served ${served} IDs meanwhile`,
    );
    expect(
      flood.every(({ error }) => error instanceof UnknownBizTagError || error instanceof LeafUnavailableError),
    ).toBe(true);
    expect(kinds.get('UnknownBizTagError') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('unavailable:overloaded') ?? 0).toBeGreaterThan(0);
    // The served tag never failed a reservation, and the flood opened at most a few connections.
    const order = leaf.ids.inspect().find((s) => s.tag === 'order')!;
    expect(order.errors).toBe(0);
    expect(served).toBeGreaterThan(0);
    expect(Number(after.Value) - Number(before.Value)).toBeLessThan(20);
  });

  it('lets go of idle tags found on first use, gives their tails back, and keeps metrics bounded', async () => {
    const registry = new Registry();
    const metrics = new LeafMetrics(leaf.ids, { registry });
    try {
      const first = await Promise.all(Array.from({ length: 200 }, (_, i) => leaf.ids.nextId(`found_${i}`)));
      expect(first.every((id) => id === 1n)).toBe(true);
      expect(leaf.ids.inspect()).toHaveLength(201);
      await sleep(2500);
      expect(leaf.ids.inspect().map((s) => s.tag)).toEqual(['order']);
      const series = (await registry.metrics()).split('\n').filter((line) => line.startsWith('leaf_ids_issued_total{'));
      expect(series).toHaveLength(1);
      // Each tail went back: the next call continues at 2, with no gap and no repeat.
      expect(await db.maxId('found_7')).toBe(2n);
      expect(await leaf.ids.nextId('found_7')).toBe(2n);
    } finally {
      metrics.close();
    }
  });
});
