import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { IdGenerator, IdOverflowError, LeafModule, LeafStoreError, MAX_ID, type LeafModuleOptions } from 'nest-leaf';
import { LeafAllocMigration } from 'nest-leaf/typeorm';
import { expectUnique, sleep } from '../../harness/assertions.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from '../support/engines.js';

/**
 * Promises the core keeps whatever the table, the clients or the clock do: each of these failed on the core before the
 * reshape. Those that no engine decides run on the in-memory store beside the code: the clock's in
 * libs/leaf/src/segment/clock-jumps.spec.ts, those of tags met for the first time in libs/leaf/src/tag-lookups.spec.ts
 * and tag-registry.idle.spec.ts.
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
