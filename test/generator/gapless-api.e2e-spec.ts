import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import {
  IdGenerator,
  InvalidArgumentError,
  LeafModule,
  LeafStoreError,
  UnknownBizTagError,
  mysqlGaplessExecutor,
  pgGaplessExecutor,
  sqliteGaplessExecutor,
  type GaplessManager,
  type LeafAdmin,
} from 'nest-leaf';
import { LeafGaplessMigration } from 'nest-leaf/typeorm';
import { MYSQL } from '../../harness/mariadb.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from '../support/engines.js';
import { POSTGRES } from '../support/demo/postgres.js';
import { gaplessDatabase, gaplessGenerator, transaction, type GaplessDatabase } from '../support/gapless.js';

// Bad input is a typed error that says what to do; the audit shows gaps, repeats and numbers past the counter.

const TAG = 'invoice-fr';

/** What a promise rejected with (it must reject). */
async function refusal(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    (value) => {
      throw new Error(`expected a refusal, got ${String(value)}`);
    },
    (error: Error) => error,
  );
}

describe('gapless numbers: what the API refuses, and how', () => {
  let db: GaplessDatabase;
  let ids: IdGenerator;
  let admin: LeafAdmin;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await gaplessDatabase('sqlite', 'gapless_api');
    ({ ids, admin, close } = await gaplessGenerator({
      bizTags: ['order', { tag: TAG, gapless: true, period: 'year', format: 'F{yyyy}-{seq:6}' }],
    }));
  });
  afterAll(async () => {
    await close?.();
    await db?.close();
  });

  it('refuses a manager outside an open transaction, saying how to open one', async () => {
    const runner = db.dataSource.createQueryRunner();
    for (const manager of [db.dataSource.manager, runner.manager]) {
      const error = await refusal(ids.nextGapless(TAG, { manager }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ argument: 'manager', code: 'LEAF_INVALID_ARGUMENT' });
      expect(error.message).toContain('manager is not inside an open transaction');
      expect(error.message).toContain(
        "await dataSource.transaction(async (manager) => { const number = await ids.nextGapless('invoice-fr', { manager });",
      );
    }
    await runner.release();
    // Nothing was taken: the first number of the series is still 1.
    expect(await transaction(db.dataSource, (manager) => ids.nextGapless(TAG, { manager }))).toBe(1n);
  });

  it('refuses what is no manager at all, and a driver connection that is not wrapped', async () => {
    for (const call of [undefined, {}, { manager: 42 }, { manager: { query: () => undefined } }]) {
      const error = await refusal(ids.nextGaplessCode(TAG, call as unknown as { manager: GaplessManager }));
      expect(error).toMatchObject({ argument: 'manager' });
      expect(error.message).toContain('manager must be the EntityManager of an open TypeORM transaction');
    }
    const raw = await refusal(ids.nextGapless(TAG, { manager: { query: () => undefined } } as never));
    expect(raw.message).toContain('got a driver connection: wrap it in the adapter of its driver');
  });

  it('names the nearest gapless tag for an unknown one, and sends a segment tag to nextId', async () => {
    const unknown = await refusal(transaction(db.dataSource, (manager) => ids.nextGapless('invoice-fx', { manager })));
    expect(unknown).toBeInstanceOf(UnknownBizTagError);
    expect(unknown.message).toBe(
      'nextGapless("invoice-fx"): "invoice-fx" is not a gapless tag of this module (did you mean "invoice-fr"?); ' +
        "its gapless tags are invoice-fr. A gapless series is configured in LeafModule's bizTags, as " +
        "{ tag: 'invoice-fx', gapless: true, period?, format? }; its counter rows are created on demand in leaf_gapless.",
    );
    const segment = await refusal(transaction(db.dataSource, (manager) => ids.nextGapless('order', { manager })));
    expect(segment).toMatchObject({ argument: 'bizTag' });
    expect(segment.message).toContain('"order" is a segment tag (nextId, nextCode: unique numbers, with gaps)');
    const malformed = await refusal(transaction(db.dataSource, (manager) => ids.nextGapless(' \n', { manager })));
    expect(malformed).toMatchObject({ argument: 'bizTag' });
  });

  it('refuses a gapless tag to nextId, nextIds, nextCode, nextCodes and LeafAdmin', async () => {
    const expected = `"${TAG}" is a gapless tag: take its numbers inside your transaction with nextGapless("${TAG}", { manager })`;
    const calls: Array<() => Promise<unknown>> = [
      () => ids.nextId(TAG),
      () => ids.nextIds(TAG, 3),
      () => ids.nextCode(TAG),
      () => ids.nextCodes(TAG, 2),
      () => admin.createTag(TAG),
      () => admin.setStep(TAG, 10),
    ];
    for (const call of calls) {
      const error = await refusal(Promise.resolve().then(call));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toContain(expected);
    }
    expect(await ids.nextId('order')).toBe(1n);
  });

  it('reads a gapless code back with parseCode, and refuses what it never writes', () => {
    expect(ids.parseCode(TAG, 'F2026-000042')).toEqual({ period: '2026', seq: 42n });
    expect(() => ids.parseCode(TAG, 'F2026-0000042')).toThrow(InvalidArgumentError);
  });

  it('audits a series: gaps, repeats and numbers past the counter, and refuses a bad table, column or period', async () => {
    await db.dataSource.query(`INSERT INTO leaf_gapless (series, period, value) VALUES ('${TAG}', '2025', 6)`);
    for (const code of [
      'F2025-000001',
      'F2025-000003',
      'F2025-000003',
      'F2025-000009',
      'F2025-0000042',
      'F2024-000002',
    ])
      await db.dataSource.query('INSERT INTO numbered (code) VALUES (?)', [code]);
    const report = await admin.auditGapless(TAG, {
      manager: db.dataSource.manager,
      table: 'numbered',
      column: 'code',
      period: '2025',
    });
    expect(report).toEqual({
      tag: TAG,
      period: '2025',
      issued: 6n,
      rows: 4,
      gaps: [
        { from: 2n, to: 2n },
        { from: 4n, to: 6n },
      ],
      repeats: [{ number: 3n, rows: 2 }],
      beyond: [9n],
      unreadable: 1,
      continuous: false,
    });
    for (const [options, argument] of [
      [{ table: 'numbered; DROP TABLE numbered', column: 'code', period: '2025' }, 'table'],
      [{ table: 'numbered', column: 'a.code', period: '2025' }, 'column'],
      [{ table: 'numbered', column: 'code' }, 'period'],
      [{ table: 'numbered', column: 'code', period: '20251' }, 'period'],
    ] as const) {
      const error = await refusal(admin.auditGapless(TAG, { manager: db.dataSource.manager, ...options }));
      expect(error).toMatchObject({ argument });
    }
  });

  it('refuses plain driver connections outside a transaction too (pg, mysql2, better-sqlite3)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'leaf-gapless-raw-')), 'raw.sqlite');
    const sqlite = new Database(file);
    const client = new pg.Client({ ...POSTGRES, database: 'postgres' });
    await client.connect();
    const connection = await mysql.createConnection({ ...MYSQL });
    try {
      for (const manager of [
        sqliteGaplessExecutor(sqlite),
        pgGaplessExecutor(client),
        mysqlGaplessExecutor(connection),
      ]) {
        const error = await refusal(ids.nextGapless(TAG, { manager }));
        expect(error).toMatchObject({ argument: 'manager' });
        expect(error.message).toContain('manager is not inside an open transaction');
      }
    } finally {
      sqlite.close();
      rmSync(join(file, '..'), { recursive: true, force: true });
      await client.end();
      await connection.end();
    }
  });
});

describe.each([
  ['sqlite', () => sqliteDatabase()],
  ['postgres', () => postgresDatabase('gapless_no_table')],
  ['mariadb', () => mariadbDatabase('gapless_no_table')],
] as const)('gapless numbers on %s without leaf_gapless', (_engine, create) => {
  let database: EngineDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await create();
    dataSource = await new DataSource(database.options).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.dispose();
  });

  it('is a LeafStoreError that says to add LeafGaplessMigration', async () => {
    const { ids, close } = await gaplessGenerator({ bizTags: [{ tag: TAG, gapless: true }] });
    try {
      const error = await refusal(dataSource.transaction((manager) => ids.nextGapless(TAG, { manager })));
      expect(error).toBeInstanceOf(LeafStoreError);
      expect(error.message).toContain('Table leaf_gapless does not exist');
      expect(error.message).toContain("Add LeafGaplessMigration (from 'nest-leaf/typeorm')");
    } finally {
      await close();
    }
  });
});

describe.each([
  ['PostgreSQL', () => postgresDatabase('gapless_migration_race')],
  ['MariaDB', () => mariadbDatabase('gapless_migration_race')],
] as const)('six nodes running LeafGaplessMigration at once on %s', (_name, create) => {
  let database: EngineDatabase;

  beforeAll(async () => {
    database = await create();
    // TypeORM's own migrations table, as an app's earlier migrations leave it (its creation races on its own: see
    // test/stores/migration-race.e2e-spec.ts).
    await (await new DataSource({ ...database.options, migrationsRun: true } as never).initialize()).destroy();
  });
  afterAll(() => database?.dispose());

  it.each(['all', 'none'] as const)('all boot, in transaction mode %s, 3 trials', async (mode) => {
    const failures: string[] = [];
    for (let trial = 1; trial <= 3; trial++) {
      const admin = await new DataSource(database.options).initialize();
      await admin.query('DROP TABLE IF EXISTS leaf_gapless');
      await admin.query("DELETE FROM migrations WHERE name LIKE 'LeafGapless%'");
      const options = {
        ...database.options,
        migrations: [LeafGaplessMigration],
        migrationsRun: true,
        migrationsTransactionMode: mode,
      } as never;
      const nodes = Array.from({ length: 6 }, () => new DataSource(options));
      const outcomes = await Promise.allSettled(nodes.map((node) => node.initialize()));
      await Promise.all(nodes.map((node) => node.isInitialized && node.destroy()));
      failures.push(
        ...outcomes.flatMap((o) => (o.status === 'rejected' ? [`trial ${trial}: ${String(o.reason)}`] : [])),
      );
      expect(await admin.query('SELECT COUNT(*) AS n FROM leaf_gapless')).toEqual([{ n: expect.anything() }]);
      await admin.destroy();
    }
    expect(failures).toEqual([]);
  });
});

describe('an app whose tags are all gapless, on the default TypeORM store', () => {
  it('boots with no leaf_alloc table, and numbers through DI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leaf-gapless-app-'));
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: join(dir, 'app.sqlite'),
          migrations: [LeafGaplessMigration],
          migrationsRun: true,
        }),
        LeafModule.forRoot({ bizTags: [{ tag: TAG, gapless: true, period: 'year', format: 'F{yyyy}-{seq:6}' }] }),
      ],
    })
    class GaplessOnlyModule {}
    const moduleRef = await Test.createTestingModule({ imports: [GaplessOnlyModule] }).compile();
    moduleRef.useLogger(false);
    const app = await moduleRef.init();
    try {
      const ids = app.get(IdGenerator);
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const code = await dataSource.transaction((manager) => ids.nextGaplessCode(TAG, { manager }));
      expect(code).toMatch(/^F\d{4}-000001$/);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
