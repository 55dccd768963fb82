import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { GaplessBusyError, type IdGenerator } from 'nest-leaf';
import { sleep } from '../../harness/assertions.js';
import {
  GAPLESS_TEST_ENGINES,
  gaplessDatabase,
  gaplessGenerator,
  oneTo,
  seqs,
  serially,
  transaction,
  type GaplessDatabase,
} from '../support/gapless.js';

// Contention made visible, never a hang: a number waits for the previous holder's commit at most waitTimeoutMs, then
// fails with GaplessBusyError (reason 'timeout'), and the series goes on. Then what a number costs: the throughput
// of one series, about one number per transaction length, printed for docs/business-numbers.md.

const TAG = 'credit-note';
const WAIT_TIMEOUT_MS = 400;

/** A transaction on `source` that takes a number and keeps it (its row locked) for `holdMs` before committing. */
function holdNumber(ids: IdGenerator, source: DataSource, holdMs: number) {
  let taken!: (code: string) => void;
  const code = new Promise<string>((resolve) => (taken = resolve));
  const done = source.transaction(async (manager) => {
    taken(await ids.nextGaplessCode(TAG, { manager }));
    await sleep(holdMs);
  });
  return { code, done };
}

/** The longest a 10 ms interval ran late while it watched: the event loop kept turning or not. */
function watchEventLoop(): () => number {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  return () => {
    clearInterval(timer);
    return Math.round(worst);
  };
}

describe.each(GAPLESS_TEST_ENGINES)('gapless numbers: bounded waits and throughput on %s', (engine) => {
  let db: GaplessDatabase;
  let ids: IdGenerator;
  let close: () => Promise<void>;
  let holderSource: DataSource;

  beforeAll(async () => {
    db = await gaplessDatabase(engine, 'gapless_bounds');
    ({ ids, close } = await gaplessGenerator({
      bizTags: [{ tag: TAG, gapless: true, format: 'CN-{seq:5}' }],
      waitTimeoutMs: WAIT_TIMEOUT_MS,
    }));
    // Another connection holds the number: another node, as far as the database can tell.
    holderSource = await db.another();
  });
  afterAll(async () => {
    await close?.();
    await db?.close();
  });

  it('a number held past waitTimeoutMs: GaplessBusyError (timeout) within the bound, the event loop free, then the next number', async () => {
    const first = await transaction(db.dataSource, (manager) => ids.nextGaplessCode(TAG, { manager }));
    expect(first).toBe('CN-00001');
    const holder = holdNumber(ids, holderSource, 2_000);
    expect(await holder.code).toBe('CN-00002');

    const loop = watchEventLoop();
    const started = performance.now();
    const failure = await db.dataSource
      .transaction((manager) => ids.nextGapless(TAG, { manager }))
      .catch((error: unknown) => error);
    const waitedMs = performance.now() - started;
    const lagMs = loop();

    expect(failure).toBeInstanceOf(GaplessBusyError);
    expect(failure).toMatchObject({ code: 'LEAF_GAPLESS_BUSY', reason: 'timeout', bizTag: TAG, period: '' });
    expect((failure as Error).message).toContain(`within waitTimeoutMs (${WAIT_TIMEOUT_MS} ms)`);
    expect((failure as Error).message).toContain('Roll this transaction back and run it again');
    expect(waitedMs).toBeGreaterThanOrEqual(WAIT_TIMEOUT_MS - 50);
    expect(waitedMs).toBeLessThan(WAIT_TIMEOUT_MS + 600);
    expect(lagMs).toBeLessThan(200);
    console.log(
      `${engine}: GaplessBusyError after ${Math.round(waitedMs)} ms (bound ${WAIT_TIMEOUT_MS}), loop lag ${lagMs} ms`,
    );

    await holder.done;
    const next = await transaction(db.dataSource, (manager) => ids.nextGaplessCode(TAG, { manager }));
    expect(next).toBe('CN-00003');
  });

  it("leaves the caller's transaction as it was: its own lock timeout, its later statements", async () => {
    if (engine !== 'postgres') return;
    const [before, after] = await db.dataSource.transaction(async (manager) => {
      await manager.query("SET LOCAL lock_timeout = '7s'");
      const set = (await manager.query('SHOW lock_timeout')) as Array<{ lock_timeout: string }>;
      await ids.nextGapless(TAG, { manager });
      const kept = (await manager.query('SHOW lock_timeout')) as Array<{ lock_timeout: string }>;
      return [set[0].lock_timeout, kept[0].lock_timeout];
    });
    expect(before).toBe('7s');
    expect(after).toBe('7s');
  });

  it.each([
    ['a short transaction (the number, one INSERT, COMMIT)', 0],
    ['a transaction that holds its number 10 ms', 10],
  ])('throughput of one series: %s', async (label, holdMs) => {
    const tag = `bench-${holdMs}`;
    const { ids: bench, close: closeBench } = await gaplessGenerator({
      bizTags: [{ tag, gapless: true }],
      waitTimeoutMs: 10_000,
    });
    try {
      const workers = engine === 'sqlite' ? 1 : 8;
      const queue = serially();
      const holds: number[] = [];
      const until = performance.now() + 1_500;
      const started = performance.now();
      let numbers = 0;
      await Promise.all(
        oneTo(workers).map(async () => {
          while (performance.now() < until) {
            const run = () =>
              transaction(db.dataSource, async (manager) => {
                const n = await bench.nextGapless(tag, { manager });
                const taken = performance.now();
                await manager.query(`INSERT INTO numbered (code) VALUES (${db.p(1)})`, [`${tag}-${n}`]);
                if (holdMs > 0) await sleep(holdMs);
                return taken;
              });
            const taken = await (engine === 'sqlite' ? queue(run) : run());
            holds.push(performance.now() - taken!);
            numbers++;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const codes = (await db.codes()).filter((code) => code.startsWith(`${tag}-`));
      expect(seqs(codes)).toEqual(oneTo(numbers));
      const meanHold = holds.reduce((a, b) => a + b, 0) / holds.length;
      console.log(
        `${engine}, ${label}: ${Math.round(numbers / seconds)} numbers/s on one series ` +
          `(${workers} concurrent callers, row held ${meanHold.toFixed(1)} ms from the number to the commit)`,
      );
    } finally {
      await closeBench();
    }
  });
});
