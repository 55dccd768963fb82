import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource, type DataSourceOptions, type EntityManager } from 'typeorm';
import { IdGenerator, isGaplessRetryable, LeafAdmin } from 'nest-leaf';
import { LeafTestingModule, type LeafTestingOptions } from 'nest-leaf/testing';
import { LeafGaplessMigration } from 'nest-leaf/typeorm';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from './engines.js';

/** The engines gapless numbers are tested on. */
export type GaplessTestEngine = 'mariadb' | 'postgres' | 'sqlite';
export const GAPLESS_TEST_ENGINES: readonly GaplessTestEngine[] = ['mariadb', 'postgres', 'sqlite'];

/** The caller's own table: the numbered rows, one code each, with no constraint, so that a repeat would show. */
const NUMBERED_DDL = 'CREATE TABLE numbered (code varchar(32) NOT NULL, db_time varchar(32))';

export interface GaplessDatabase {
  readonly engine: GaplessTestEngine;
  /** The suite's DataSource, `leaf_gapless` created by the shipped migration. */
  readonly dataSource: DataSource;
  /** Another DataSource on the same database (SQLite: another connection to the file). */
  another(): Promise<DataSource>;
  /** A placeholder of this engine: `$1` or `?`. */
  p(n: number): string;
  /** The file (SQLite) or the TypeORM options (the others) a child process connects with. */
  readonly options: DataSourceOptions;
  /** The codes committed in `numbered`. */
  codes(): Promise<string[]>;
  close(): Promise<void>;
}

export async function gaplessDatabase(
  engine: GaplessTestEngine,
  suite: string,
  { poolSize = 10 }: { poolSize?: number } = {},
): Promise<GaplessDatabase> {
  const database: EngineDatabase =
    engine === 'sqlite'
      ? await sqliteDatabase()
      : engine === 'postgres'
        ? await postgresDatabase(suite)
        : await mariadbDatabase(suite);
  const options = {
    ...database.options,
    migrations: [LeafGaplessMigration],
    migrationsRun: true,
    ...(engine === 'sqlite' ? {} : { poolSize }),
  } as DataSourceOptions;
  const dataSource = await new DataSource(options).initialize();
  await dataSource.query(NUMBERED_DDL);
  const others: DataSource[] = [];
  return {
    engine,
    dataSource,
    options: database.options,
    another: async () => {
      const other = await new DataSource({
        ...database.options,
        ...(engine === 'sqlite' ? {} : { poolSize }),
      } as DataSourceOptions).initialize();
      others.push(other);
      return other;
    },
    p: (n) => (engine === 'postgres' ? `$${n}` : '?'),
    codes: async () =>
      ((await dataSource.query('SELECT code FROM numbered')) as Array<{ code: string }>).map((r) => r.code),
    close: async () => {
      for (const other of others) if (other.isInitialized) await other.destroy();
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.dispose();
    },
  };
}

/** A generator (and its admin) as the app gets them from LeafModule, on the in-memory store: gapless needs no other. */
export async function gaplessGenerator(
  options: LeafTestingOptions,
): Promise<{ ids: IdGenerator; admin: LeafAdmin; close(): Promise<void> }> {
  const moduleRef = await Test.createTestingModule({ imports: [LeafTestingModule.forRoot(options)] }).compile();
  moduleRef.useLogger(false);
  const app: INestApplicationContext = await moduleRef.init();
  return { ids: app.get(IdGenerator), admin: app.get(LeafAdmin), close: () => app.close() };
}

/** A transaction that `throw`s this is rolled back on purpose. */
export class RolledBack extends Error {}

/**
 * Runs `work` in a transaction of `dataSource`, again from the start after a `GaplessBusyError` or a conflict at the
 * commit (`isGaplessRetryable`, as the docs say to), up to `attempts` times. Resolves to what `work` returned, or
 * `null` when it threw `RolledBack`.
 */
export async function transaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  { attempts = 20, busy }: { attempts?: number; busy?: (error: unknown) => void } = {},
): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction(work);
    } catch (error) {
      if (error instanceof RolledBack) return null;
      if (!isGaplessRetryable(error) || attempt >= attempts) throw error;
      busy?.(error);
    }
  }
}

/**
 * One transaction at a time: TypeORM runs every transaction of a better-sqlite3 DataSource on its one connection, so
 * concurrent ones would nest into each other's savepoints. The application serializes them (docs/business-numbers.md).
 */
export function serially(): <T>(run: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(run: () => Promise<T>) => {
    const result = tail.then(run);
    tail = result.catch(() => undefined);
    return result;
  };
}

/** A seeded generator of numbers in [0, 1): the same rollbacks on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The sequence numbers of codes, sorted. */
export function seqs(codes: readonly string[]): number[] {
  return codes.map((code) => Number(code.slice(code.lastIndexOf('-') + 1))).sort((a, b) => a - b);
}

/** 1 … n. */
export function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
