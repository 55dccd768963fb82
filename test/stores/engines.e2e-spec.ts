import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  BizTagExistsError,
  IdGenerator,
  IdOverflowError,
  LeafAdmin,
  LeafModule,
  MAX_ID,
  UnknownBizTagError,
} from 'nest-leaf';
import { LeafAllocMigration } from 'nest-leaf/typeorm';
import { expectStrictlyIncreasing, expectUnique } from '../../harness/assertions.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from '../support/engines.js';

const engines: Array<[string, () => Promise<EngineDatabase>]> = [
  ['SQLite (better-sqlite3)', sqliteDatabase],
  ['PostgreSQL', () => postgresDatabase('engines')],
  ['MariaDB, table from the migration', () => mariadbDatabase('engines')],
];

describe.each(engines)('the Leaf contract on %s', (_name, create) => {
  let database: EngineDatabase;
  let app: INestApplicationContext;
  let ids: IdGenerator;
  let dataSource: DataSource;
  const maxId = async (tag: string) => {
    const [row] = await dataSource.query(
      `SELECT CAST(max_id AS ${castText()}) AS m FROM leaf_alloc WHERE biz_tag = '${tag}'`,
    );
    return row ? BigInt(row.m) : undefined;
  };
  const castText = () => (database.engine === 'mariadb' ? 'CHAR' : 'TEXT');
  const nearEnd = MAX_ID - 150n;

  beforeAll(async () => {
    database = await create();
    // Rows that must exist before boot: a legacy row and one near the end of the BIGINT range.
    const setup = (await import('typeorm')).DataSource;
    const pre = await new setup({
      ...database.options,
      migrations: [LeafAllocMigration],
      migrationsRun: true,
    } as never).initialize();
    await pre.query("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('legacy', 5000, 300)");
    await pre.query(`INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('edge', ${nearEnd}, 100)`);
    await pre.destroy();

    @Module({
      imports: [
        TypeOrmModule.forRoot({
          ...database.options,
          autoLoadEntities: true,
          migrations: [LeafAllocMigration],
          migrationsRun: true,
        }),
        LeafModule.forRoot({ bizTags: ['order', 'legacy', 'edge'], step: 50, dynamicStep: false, threshold: 0.01 }),
      ],
    })
    class EngineModule {}
    const moduleRef = await Test.createTestingModule({ imports: [EngineModule] }).compile();
    moduleRef.useLogger(false);
    app = await moduleRef.init();
    ids = app.get(IdGenerator);
    dataSource = app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await app?.close();
    await database?.dispose();
  });

  it('issues 1 first on a created row', async () => {
    expect(await ids.nextId('order')).toBe(1n);
  });

  it('owns [M, M+S) of a row inserted by plain SQL', async () => {
    expect(await maxId('legacy')).toBe(5300n);
    const served = await ids.nextIds('legacy', 290);
    expect([served[0], served.at(-1)]).toEqual([5000n, 5289n]);
  });

  it('keeps concurrent callers unique and increasing across many segments', async () => {
    const issued: bigint[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let i = 0; i < 40; i++) issued.push(await ids.nextId('order'));
      }),
    );
    expectUnique(issued);
    expectStrictlyIncreasing(issued);
  });

  it('stops at 2^63-1 with IdOverflowError, keeping BIGINT precision to the last ID', async () => {
    const served = await ids.nextIds('edge', 150);
    expect([served[0], served[99], served.at(-1)]).toEqual([nearEnd, nearEnd + 99n, MAX_ID - 1n]);
    await expect(ids.nextId('edge')).rejects.toBeInstanceOf(IdOverflowError);
    expect(await maxId('edge')).toBe(MAX_ID);
  });

  it('serves a row inserted at runtime and rejects a tag with no row', async () => {
    await expect(ids.nextId('late')).rejects.toBeInstanceOf(UnknownBizTagError);
    await dataSource.query("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('late', 42, 10)");
    expect(await ids.nextIds('late', 3)).toEqual([42n, 43n, 44n]);
  });

  it('creates a tag through LeafAdmin once, at its start, and refuses a second create', async () => {
    const admin = app.get(LeafAdmin);
    await admin.createTag('invoice', { step: 7, startAt: 1_000_000_000_000n, description: 'invoices' });
    expect(await ids.nextIds('invoice', 8)).toEqual(
      Array.from({ length: 8 }, (_, i) => 1_000_000_000_000n + BigInt(i)),
    );
    await expect(admin.createTag('invoice', { startAt: 1n })).rejects.toBeInstanceOf(BizTagExistsError);
    // The refused create left the row alone: the sequence goes on where it was.
    expect(await ids.nextId('invoice')).toBe(1_000_000_000_008n);
  });

  it('applies a step changed through LeafAdmin from the next reservation', async () => {
    const admin = app.get(LeafAdmin);
    await admin.setStep('legacy', 13);
    const before = (await maxId('legacy'))!;
    // Drain what 'legacy' holds in memory so the next segment is reserved with the new step.
    const { baseStep, available } = ids.inspect().find((snapshot) => snapshot.tag === 'legacy')!;
    expect(baseStep).toBe(13);
    await ids.nextIds('legacy', Number(available) + 1);
    const reserved = (await maxId('legacy'))! - before;
    expect(reserved % 13n).toBe(0n);
    expect(reserved).toBeGreaterThan(0n);
    await expect(admin.setStep('missing', 5)).rejects.toBeInstanceOf(UnknownBizTagError);
  });
});
