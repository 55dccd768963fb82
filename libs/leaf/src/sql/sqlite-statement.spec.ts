import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSqliteStatement, SqliteBusyError } from './sqlite-statement.js';
import { sqliteDialect } from './sql-dialect.js';

/** Longest gap between two ticks of a 5 ms interval beyond its period; and how many ticks there were. */
function watchEventLoop(): { stop(): { maxLagMs: number; ticks: number } } {
  const periodMs = 5;
  let last = performance.now();
  let maxLagMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - periodMs);
    last = now;
    ticks++;
  }, periodMs);
  return {
    stop() {
      clearInterval(timer);
      // A wait still under way when stopped counts too.
      return { maxLagMs: Math.max(maxLagMs, performance.now() - last - periodMs), ticks };
    },
  };
}

/**
 * The most the event loop may stall while a statement waits for a lock. Blocking in SQLite's own busy handler would
 * hold it for the whole lock, the connection's 5,000 ms here; each attempt holds it for `busyMs` (5 ms). The bound
 * sits far from the first and well above the second, since a loaded machine stalls a loop on its own (CI saw 133 ms).
 */
const MAX_LAG_MS = 250;

const reserve = (step: number, tag = 'order') => [sqliteDialect.reserveSql, [step, tag, step]] as const;

describe.each(['delete', 'wal'])('runSqliteStatement (journal_mode %s)', (journalMode) => {
  let dir: string;
  let ours: Database.Database;
  let holder: Database.Database;
  const maxId = () =>
    (ours.prepare("SELECT CAST(max_id AS TEXT) AS m FROM leaf_alloc WHERE biz_tag = 'order'").get() as { m: string }).m;
  const busyTimeout = () => ours.pragma('busy_timeout', { simple: true });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leaf-sqlite-statement-'));
    const file = join(dir, 'leaf.sqlite');
    // TypeORM's driver opens its one connection with `timeout` 5000 unless told otherwise.
    ours = new Database(file, { timeout: 5000 });
    ours.pragma(`journal_mode = ${journalMode}`);
    ours.exec(`CREATE TABLE leaf_alloc (
      biz_tag varchar(128) NOT NULL DEFAULT '' PRIMARY KEY, max_id bigint NOT NULL DEFAULT 1, step int NOT NULL,
      description varchar(256) DEFAULT NULL, update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)`);
    ours.exec("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('order', 1, 10), ('user', 9007199254740993, 10)");
    holder = new Database(file, { timeout: 5000 });
  });
  afterEach(() => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    ours.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a RETURNING statement, an UPDATE and a SELECT, exact past 2^53, and leaves the busy timeout as it was', async () => {
    const signal = AbortSignal.timeout(1000);
    await expect(runSqliteStatement(ours, ...reserve(10), signal)).resolves.toEqual({
      records: [{ max_id: '11' }],
      changes: 1,
    });
    await expect(runSqliteStatement(ours, ...reserve(10, 'user'), signal)).resolves.toEqual({
      records: [{ max_id: '9007199254741003' }],
      changes: 1,
    });
    await expect(runSqliteStatement(ours, sqliteDialect.giveBackSql, ['5', 'order', '11'], signal)).resolves.toEqual({
      records: [],
      changes: 1,
    });
    await expect(runSqliteStatement(ours, sqliteDialect.selectMaxIdSql, ['order'], signal)).resolves.toEqual({
      records: [{ max_id: '5' }],
      changes: 0,
    });
    expect(busyTimeout()).toBe(5000);
  });

  it('waits for a write lock of another connection without holding up the event loop, then runs', async () => {
    holder.exec('BEGIN IMMEDIATE');
    holder.exec("UPDATE leaf_alloc SET max_id = max_id + 100 WHERE biz_tag = 'order'");
    const loop = watchEventLoop();
    const started = performance.now();
    const result = runSqliteStatement(ours, ...reserve(10), AbortSignal.timeout(5000));
    const settled = result.then(() => performance.now() - started);

    await sleep(150);
    // Between attempts the host's queries on the same connection keep its own busy timeout.
    expect(busyTimeout()).toBe(5000);
    // In WAL mode as in rollback mode, a reader is not held up by a writer that has not begun to commit.
    expect(maxId()).toBe('1');
    holder.exec('COMMIT');

    // It ran after the other writer and on top of its change, not over it.
    await expect(result).resolves.toEqual({ records: [{ max_id: '111' }], changes: 1 });
    const elapsed = await settled;
    const { maxLagMs, ticks } = loop.stop();
    expect(elapsed).toBeGreaterThanOrEqual(140);
    // Retries are at most 50 ms apart, so it ran soon after the commit.
    expect(elapsed).toBeLessThan(400);
    expect(maxLagMs).toBeLessThan(MAX_LAG_MS);
    expect(ticks).toBeGreaterThan(10);
    expect(busyTimeout()).toBe(5000);
    expect(maxId()).toBe('111');
  });

  it('rejects soon after the signal aborts, saying the database stayed locked, and changes nothing', async () => {
    holder.exec('BEGIN IMMEDIATE');
    const controller = new AbortController();
    const reason = new Error('reservationTimeoutMs (120 ms) passed');
    setTimeout(() => controller.abort(reason), 120);
    const loop = watchEventLoop();
    const started = performance.now();

    const error = await runSqliteStatement(ours, ...reserve(10), controller.signal).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(loop.stop().maxLagMs).toBeLessThan(MAX_LAG_MS);

    expect(error).toBeInstanceOf(SqliteBusyError);
    const busy = error as SqliteBusyError;
    expect(busy.message).toMatch(/locked by another connection or process for 1\d\d ms \(\d+ attempts\)/);
    expect(busy.cause).toBe(reason);
    expect(busy.attempts).toBeGreaterThan(3);
    expect((busy.lastError as { code?: string }).code).toBe('SQLITE_BUSY');
    // An abort ends the pause between attempts at once.
    expect(elapsed).toBeGreaterThanOrEqual(115);
    expect(elapsed).toBeLessThan(120 + 30);
    holder.exec('COMMIT');
    expect(maxId()).toBe('1');
    expect(busyTimeout()).toBe(5000);
  });

  it('rejects with the reason of a signal that had already aborted, and runs nothing', async () => {
    const reason = new Error('gave up before starting');
    await expect(runSqliteStatement(ours, ...reserve(10), AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(maxId()).toBe('1');
  });

  it('does not retry other errors, and keeps the driver error that the dialect recognizes', async () => {
    const signal = AbortSignal.timeout(5000);
    const started = performance.now();
    const duplicate = await runSqliteStatement(ours, sqliteDialect.insertSql, ['order', '1', 10, null], signal).catch(
      (e: unknown) => e,
    );
    expect(sqliteDialect.isDuplicateKey(duplicate)).toBe(true);
    const missing = await runSqliteStatement(ours, 'SELECT max_id FROM leaf_alloc_gone', [], signal).catch(
      (e: unknown) => e,
    );
    expect(sqliteDialect.isMissingTable(missing)).toBe(true);
    const syntax = await runSqliteStatement(ours, 'UPDATE leaf_alloc SET', [], signal).catch((e: unknown) => e);
    expect((syntax as { code?: string }).code).toBe('SQLITE_ERROR');
    expect(performance.now() - started).toBeLessThan(20);
    expect(busyTimeout()).toBe(5000);
  });

  it('never joins a transaction the host left open on the same connection: it runs after it ends', async () => {
    ours.exec('BEGIN');
    ours.exec("UPDATE leaf_alloc SET step = 99 WHERE biz_tag = 'order'");
    const result = runSqliteStatement(ours, ...reserve(10), AbortSignal.timeout(5000));
    await sleep(50);
    // Had the reservation joined the transaction, this rollback would take back IDs already handed out.
    ours.exec('ROLLBACK');
    await expect(result).resolves.toEqual({ records: [{ max_id: '11' }], changes: 1 });
    expect(maxId()).toBe('11');
  });

  it('says so when the host transaction outlasts the signal', async () => {
    ours.exec('BEGIN');
    const signal = AbortSignal.timeout(60);
    const error = await runSqliteStatement(ours, ...reserve(10), signal).catch((e: unknown) => e);
    ours.exec('ROLLBACK');
    expect(error).toBeInstanceOf(SqliteBusyError);
    expect((error as SqliteBusyError).attempts).toBe(0);
    expect((error as SqliteBusyError).cause).toBe(signal.reason);
    expect((error as Error).message).toMatch(/inside a transaction of the application for \d+ ms/);
    expect(maxId()).toBe('1');
  });

  it(
    journalMode === 'wal'
      ? 'reads while another connection holds an exclusive transaction (WAL readers are never blocked)'
      : 'waits for an exclusive lock before a read, too',
    async () => {
      holder.exec('BEGIN EXCLUSIVE');
      const result = runSqliteStatement(ours, sqliteDialect.selectMaxIdSql, ['order'], AbortSignal.timeout(5000));
      const state = await Promise.race([result.then(() => 'ran'), sleep(100).then(() => 'waiting')]);
      expect(state).toBe(journalMode === 'wal' ? 'ran' : 'waiting');
      holder.exec('COMMIT');
      await expect(result).resolves.toEqual({ records: [{ max_id: '1' }], changes: 0 });
    },
  );
});
