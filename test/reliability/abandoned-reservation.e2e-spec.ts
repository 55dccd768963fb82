import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  IdGenerator,
  LeafStoreError,
  LeafUnavailableError,
  type LeafModuleOptions,
  type ReservationEvent,
  type ReservedRange,
} from 'nest-leaf';
import { LeafAllocMigration, TypeOrmLeafStore } from 'nest-leaf/typeorm';
// Not public: the generator is built by hand here, as LeafModule builds it, so that its first reservation is seen.
import { resolveLeafOptions } from '../../libs/leaf/src/leaf.options.js';
import { serverTimeoutFor } from '../../libs/leaf/src/sql/server-bound.js';
import { mysqlDialect } from '../../libs/leaf/src/sql/sql-dialect.js';
import { MYSQL } from '../../harness/mariadb.js';
import { POSTGRES } from '../support/demo/postgres.js';
import { expectUnique, sleep } from '../../harness/assertions.js';
import { openLoad } from '../support/load.js';
import { captureLogs } from '../support/redis.js';
import { mariadbDatabase, postgresDatabase, type EngineDatabase } from '../support/engines.js';
import { isPermanent } from '../../libs/leaf/src/errors/permanent.js';

// Issue #13, item 3: a reservation the generator gave up on (reservationTimeoutMs) must not commit later. Another
// transaction holds the tag's row lock for longer than the deadline; every reservation meanwhile waits for that lock.
// The store bounds its UPDATE on the server too (a little below the deadline), so the server rolls each one back
// instead of applying it once the lock goes: max_id ends where the ranges the generator used end, and the first ID
// after the lock follows the last one before it.

const SUITE = 'abandoned_reservation';
const TAG = 'held';
const STEP = 100;
const RESERVATION_TIMEOUT_MS = 1000;
/** Long enough for several reservations to give up (about four on each side of the deadline). */
const HOLD_MS = 4000;
// Issue #13, item 4: a long lock under steady load must not inflate the dynamic step.
const STEADY_HOLD_MS = Number(process.env.LEAF_LOCK_SECONDS ?? 25) * 1000;
const STEADY_RATE = 2000;

/** A plain client of the test's own, beside the store's pool: it holds the row lock and reads `max_id`. */
interface RowHolder {
  /** Opens a transaction and locks the tag's row, until `release`. */
  lock(tag: string): Promise<void>;
  release(): Promise<void>;
  maxId(tag: string): Promise<bigint>;
  close(): Promise<void>;
}

interface Engine {
  readonly name: string;
  database(): Promise<EngineDatabase>;
  holder(database: string): Promise<RowHolder>;
  /** The driver's pool options for a pool of one connection. */
  readonly poolOfOne: Record<string, unknown>;
  /** The session setting the store's bound uses, as the single column `v`. */
  readonly sessionSetting: string;
}

const databaseName = (options: DataSourceOptions) => String((options as { database?: unknown }).database);

const ENGINES: Engine[] = [
  {
    name: 'MariaDB',
    database: () => mariadbDatabase(SUITE),
    poolOfOne: { connectionLimit: 1 },
    sessionSetting: 'SELECT @@SESSION.max_statement_time AS v',
    async holder(database) {
      const client = await mysql.createConnection({
        ...MYSQL,
        database,
        supportBigNumbers: true,
        bigNumberStrings: true,
      });
      return {
        async lock(tag) {
          await client.query('BEGIN');
          await client.query('SELECT max_id FROM leaf_alloc WHERE biz_tag = ? FOR UPDATE', [tag]);
        },
        release: async () => void (await client.query('ROLLBACK')),
        async maxId(tag) {
          const [rows] = await client.query('SELECT CAST(max_id AS CHAR) AS max_id FROM leaf_alloc WHERE biz_tag = ?', [
            tag,
          ]);
          return BigInt((rows as Array<{ max_id: string }>)[0].max_id);
        },
        close: () => client.end(),
      };
    },
  },
  {
    name: 'PostgreSQL',
    database: () => postgresDatabase(SUITE),
    poolOfOne: { max: 1 },
    sessionSetting: "SELECT current_setting('lock_timeout') AS v",
    async holder(database) {
      const client = new pg.Client({ ...POSTGRES, database });
      await client.connect();
      return {
        async lock(tag) {
          await client.query('BEGIN');
          await client.query('SELECT max_id FROM leaf_alloc WHERE biz_tag = $1 FOR UPDATE', [tag]);
        },
        release: async () => void (await client.query('ROLLBACK')),
        async maxId(tag) {
          const { rows } = await client.query('SELECT max_id::text AS max_id FROM leaf_alloc WHERE biz_tag = $1', [
            tag,
          ]);
          return BigInt((rows as Array<{ max_id: string }>)[0].max_id);
        },
        close: () => client.end(),
      };
    },
  },
];

const report = (lines: string[]) => process.stdout.write(`\n${lines.map((line) => `  ${line}`).join('\n')}\n`);

describe.each(ENGINES)('an abandoned reservation on $name', (engine) => {
  let database: EngineDatabase;
  let dataSource: DataSource;
  let holder: RowHolder;

  beforeAll(async () => {
    database = await engine.database();
    const options = { ...database.options, migrations: [LeafAllocMigration], migrationsRun: true } as DataSourceOptions;
    dataSource = await new DataSource(options).initialize();
    holder = await engine.holder(databaseName(database.options));
  });

  afterAll(async () => {
    await holder?.close();
    await dataSource?.destroy();
    await database?.dispose();
  });

  it(`is rolled back on the server: a row lock held ${HOLD_MS} ms moves max_id only by the ranges used`, async () => {
    const logs = captureLogs();
    const store = new TypeOrmLeafStore(dataSource, { serverTimeoutMs: serverTimeoutFor(RESERVATION_TIMEOUT_MS) });
    const options: LeafModuleOptions = {
      bizTags: [TAG],
      step: STEP,
      dynamicStep: false,
      reservationTimeoutMs: RESERVATION_TIMEOUT_MS,
      waitTimeoutMs: 1000,
      retryMinDelayMs: 50,
      retryMaxDelayMs: 200,
      // Nothing given back at close: max_id is read before it anyway.
      giveBackOnShutdown: false,
    };
    const ids = new IdGenerator(resolveLeafOptions(options), store);
    const events: ReservationEvent[] = [];
    ids.onReservation((event) => events.push(event));
    try {
      await ids.start();
      const before = await ids.nextIds(TAG, 150);

      // Another transaction takes the row; callers go on asking, drain memory and then fail (LeafUnavailableError).
      await holder.lock(TAG);
      const lockedAt = events.length;
      let holding = true;
      let unavailable = 0;
      const caller = async () => {
        while (holding) {
          try {
            before.push(await ids.nextId(TAG));
          } catch (error) {
            if (!(error instanceof LeafUnavailableError)) throw error;
            unavailable++;
            await sleep(20);
          }
        }
      };
      const callers = [caller(), caller(), caller(), caller()];
      await sleep(HOLD_MS);
      holding = false;
      await Promise.all(callers);
      const lastBefore = before.reduce((a, b) => (b > a ? b : a));
      const failedWhileLocked = events.slice(lockedAt).filter((event) => !event.ok);

      // The lock goes; the generator recovers on its own (retries with backoff).
      await holder.release();
      const releasedAt = performance.now();
      let firstAfter: bigint | undefined;
      while (firstAfter === undefined && performance.now() - releasedAt < 10_000) {
        firstAfter = await ids.nextId(TAG).catch(() => undefined);
      }
      const recoveryMs = performance.now() - releasedAt;
      expect(firstAfter).toBeDefined();
      const after = [firstAfter!, ...(await ids.nextIds(TAG, 250))];
      // A statement that was only abandoned by the client would land now, when the lock is free.
      await sleep(1000);
      const maxId = await holder.maxId(TAG);

      const used: ReservedRange[] = events
        .filter((event) => event.ok)
        .map((event) => event.range!)
        .sort((a, b) => (a.start < b.start ? -1 : 1));
      const reservedByUs = used.reduce((sum, range) => sum + (range.end - range.start), 0n);
      const byServer = failedWhileLocked.filter(
        (event) => (event.error as Error | undefined)?.name === 'ServerTimeoutError',
      );
      report([
        `${engine.name}: ${failedWhileLocked.length} reservation(s) failed while the row was locked ` +
          `(${byServer.length} given up by the server, ${failedWhileLocked.length - byServer.length} by the client ` +
          `deadline), ${unavailable} call(s) got LeafUnavailableError; recovered ${recoveryMs.toFixed(0)} ms after the release.`,
        `max_id ${maxId}; ranges used end at ${used.at(-1)?.end} (${reservedByUs} IDs reserved by the generator from 1): ` +
          `drift ${maxId - 1n - reservedByUs}. Last ID before the release ${lastBefore}, first after ${firstAfter}.`,
        `A failure: ${String(failedWhileLocked[0]?.error)}`,
      ]);

      // The lock was held past the deadline: reservations failed meanwhile, and memory ran dry.
      expect(failedWhileLocked.length).toBeGreaterThanOrEqual(2);
      expect(unavailable).toBeGreaterThan(0);
      // No abandoned reservation landed: the ranges the generator used tile [1, max_id); anything between two of
      // them is a range reserved by a statement it had given up on.
      expect(used[0].start).toBe(1n);
      const landedLate = used
        .slice(1)
        .flatMap((range, i) => (range.start === used[i].end ? [] : [[used[i].end, range.start]]));
      expect(landedLate).toEqual([]);
      expect(maxId).toBe(used.at(-1)!.end);
      expect(maxId - 1n).toBe(reservedByUs);
      // The next ID follows the last one issued. In general the only gap allowed is the unused rest of the segment in
      // use (first after <= last before + step); here the callers drained memory while the row was locked, so no ID
      // is skipped at all: the first after is the last before + 1, and every ID issued is 1, 2, 3, … in turn.
      expect(firstAfter! - lastBefore).toBeLessThanOrEqual(BigInt(STEP));
      expect(firstAfter).toBe(lastBefore + 1n);
      const issued = [...before, ...after].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(issued.findIndex((id, i) => id !== BigInt(i + 1))).toBe(-1);
      // The server gave up on them (it may not on every one: a busy event loop can run the client's timer first).
      expect(byServer.length).toBeGreaterThanOrEqual(1);
    } finally {
      await ids.close();
      logs.restore();
    }
  }, 60_000);

  it(
    `keeps its step through a row lock of ${STEADY_HOLD_MS / 1000} s under steady load: within 2x of before`,
    async () => {
      const tag = 'steady';
      const logs = captureLogs();
      const store = new TypeOrmLeafStore(dataSource, { serverTimeoutMs: serverTimeoutFor(RESERVATION_TIMEOUT_MS) });
      await store.insertTag({ bizTag: tag, maxId: 1n, step: STEP, description: null });
      // Leaf's dynamic step settles where a segment lasts about segmentDurationMs; no runway, so memory runs dry during
      // the lock and callers wait, fail and pile up demand: what must not be mistaken for traffic.
      const ids = new IdGenerator(
        resolveLeafOptions({
          bizTags: [tag],
          step: STEP,
          segmentDurationMs: 2000,
          runwayMs: 0,
          reservationTimeoutMs: RESERVATION_TIMEOUT_MS,
          waitTimeoutMs: 1000,
        }),
        store,
      );
      const events: ReservationEvent[] = [];
      ids.onReservation((event) => events.push(event));
      try {
        await ids.start();
        const load = openLoad(ids, tag, { rate: STEADY_RATE });
        await sleep(8000);
        const stepBefore = events.findLast((event) => event.ok)!.step;
        await holder.lock(tag);
        load.phase('locked');
        const lockedAt = events.length;
        await sleep(STEADY_HOLD_MS);
        await holder.release();
        // Calls of the first second may still fail: the retry after the release waits out its backoff (up to 1 s).
        load.phase('released');
        await sleep(2000);
        load.phase('recovered');
        await sleep(4000);
        await load.stop();

        const failed = events.slice(lockedAt).filter((event) => !event.ok);
        const after = events.slice(lockedAt).filter((event) => event.ok);
        const locked = load.phases.get('locked')!;
        const recovered = load.phases.get('recovered')!;
        report([
          `${engine.name}, a ${STEADY_HOLD_MS / 1000} s row lock at ${STEADY_RATE} calls/s: ${failed.length} reservation(s) ` +
            `failed, ${locked.failures} of ${locked.calls} calls failed meanwhile; step ${stepBefore} before, ` +
            `${after.map((event) => event.step).join(', ')} after`,
        ]);

        expect(failed.length).toBeGreaterThanOrEqual(5);
        expect(locked.failures).toBeGreaterThan(0);
        expect(recovered.failures).toBe(0);
        expect(after.length).toBeGreaterThanOrEqual(2);
        // The first reservation after the lock covers the callers then waiting, once; the step itself stays within 2x.
        expect(after[0].step).toBeLessThanOrEqual(Math.max(2 * stepBefore, STEADY_RATE * 2));
        for (const event of after.slice(1)) expect(event.step).toBeLessThanOrEqual(2 * stepBefore);
        expectUnique(load.ids);
      } finally {
        await ids.close();
        logs.restore();
      }
    },
    STEADY_HOLD_MS + 40_000,
  );

  it('fails a reservation the server gave up on as transient, and leaves the pooled session as it was', async () => {
    const tag = 'session';
    // One connection: the setting read after a reservation is that of the connection the reservation ran on.
    const single = await new DataSource({
      ...database.options,
      extra: engine.poolOfOne,
    } as DataSourceOptions).initialize();
    try {
      const store = new TypeOrmLeafStore(single, { serverTimeoutMs: 300 });
      await store.insertTag({ bizTag: tag, maxId: 1n, step: 10, description: null });
      const setting = async () => ((await single.query(engine.sessionSetting)) as Array<{ v: unknown }>)[0].v;
      const initial = await setting();
      expect(await store.reserve(tag, 10)).toEqual({ start: 1n, end: 11n });
      expect(await setting()).toEqual(initial);

      await holder.lock(tag);
      const started = performance.now();
      const failure = (await store.reserve(tag, 10).catch((error: unknown) => error)) as Error;
      const waitedMs = performance.now() - started;
      await holder.release();

      expect(failure.name).toBe('ServerTimeoutError');
      expect(failure.message).toMatch(/^Another transaction holds the leaf_alloc row of "session"/);
      expect(failure).not.toBeInstanceOf(LeafStoreError);
      expect(isPermanent(failure)).toBe(false);
      expect(waitedMs).toBeGreaterThanOrEqual(250);
      expect(waitedMs).toBeLessThan(2000);
      expect(await setting()).toEqual(initial);
      // Rolled back: the next reservation starts where the last one ended.
      expect(await holder.maxId(tag)).toBe(11n);
      expect(await store.reserve(tag, 10)).toEqual({ start: 11n, end: 21n });
      report([`${engine.name}, a reservation the server gave up after ${waitedMs.toFixed(0)} ms: ${failure.message}`]);
    } finally {
      await single.destroy();
    }
  });
});

// MySQL 8 has no SET STATEMENT: the store lowers the session's innodb_lock_wait_timeout around the UPDATE instead.
// MySQL itself is not on this machine; its statements are run on MariaDB, which shares their syntax and the variable.
describe("the MySQL 8 dialect's bound, its statements run on MariaDB", () => {
  let database: EngineDatabase;
  let dataSource: DataSource;
  let holder: RowHolder;
  let client: mysql.Connection;

  beforeAll(async () => {
    database = await mariadbDatabase(`${SUITE}_mysql`);
    const options = { ...database.options, migrations: [LeafAllocMigration], migrationsRun: true } as DataSourceOptions;
    dataSource = await new DataSource(options).initialize();
    holder = await ENGINES[0].holder(databaseName(database.options));
    client = await mysql.createConnection({
      ...MYSQL,
      database: databaseName(database.options),
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
  });

  afterAll(async () => {
    await client?.end();
    await holder?.close();
    await dataSource?.destroy();
    await database?.dispose();
  });

  it('gives up at whole seconds with ER_LOCK_WAIT_TIMEOUT, rolls back, and puts the session back', async () => {
    await new TypeOrmLeafStore(dataSource).insertTag({ bizTag: TAG, maxId: 1n, step: 10, description: null });
    // The application's own setting on its pooled connection, which must survive.
    await client.query('SET SESSION innodb_lock_wait_timeout = 37');
    const lockWait = async () => {
      const [rows] = await client.query('SELECT @@SESSION.innodb_lock_wait_timeout AS v');
      return Number((rows as Array<{ v: unknown }>)[0].v);
    };
    const statement = mysqlDialect.bounded(mysqlDialect.reserveSql, [10, TAG, 10], 1500);
    expect(statement.limit).toBe('innodb_lock_wait_timeout=1');

    await holder.lock(TAG);
    await client.query(statement.before!);
    const started = performance.now();
    const failure = await client.query(statement.sql, [...statement.params]).catch((error: unknown) => error);
    const waitedMs = performance.now() - started;
    await client.query(statement.after!);
    await holder.release();

    expect((failure as { errno?: number }).errno).toBe(1205);
    expect(mysqlDialect.isServerTimeout(failure)).toBe(true);
    expect(waitedMs).toBeGreaterThanOrEqual(900);
    expect(waitedMs).toBeLessThan(1500);
    expect(await lockWait()).toBe(37);
    expect(await holder.maxId(TAG)).toBe(1n);

    // Without a lock, the same statements reserve and hand max_id back through LAST_INSERT_ID.
    await client.query(statement.before!);
    const [header] = await client.query(statement.sql, [...statement.params]);
    await client.query(statement.after!);
    const { affectedRows, insertId } = header as { affectedRows: number; insertId: number };
    expect(mysqlDialect.reservedMaxId({ rows: [], affected: affectedRows, insertId })).toBe(11);
    expect(await lockWait()).toBe(37);
    report([`MySQL 8 statements on MariaDB: ER_LOCK_WAIT_TIMEOUT after ${waitedMs.toFixed(0)} ms; session put back.`]);
  });
});
