import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { IdGenerator, LeafAdmin } from 'nest-leaf';
import { sleep } from '../../harness/assertions.js';
import {
  GAPLESS_TEST_ENGINES,
  gaplessDatabase,
  gaplessGenerator,
  oneTo,
  RolledBack,
  seededRandom,
  seqs,
  serially,
  transaction,
  type GaplessDatabase,
} from '../support/gapless.js';

// The first test: 50 concurrent transactions, a third of them rolling back at random, and the committed
// numbers are exactly 1..N. Each transaction takes its number, writes its row with it, waits a few ms (its own
// work), then commits or rolls back; the numbers whose transaction rolled back are handed out again.

const TAG = 'invoice-fr';
const TRANSACTIONS = 50;

describe.each(GAPLESS_TEST_ENGINES)('gapless numbers under concurrent transactions on %s', (engine) => {
  let db: GaplessDatabase;
  let ids: IdGenerator;
  let admin: LeafAdmin;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await gaplessDatabase(engine, 'gapless_concurrency');
    ({ ids, admin, close } = await gaplessGenerator({
      bizTags: [{ tag: TAG, gapless: true, period: 'year', format: 'F{yyyy}-{seq:6}' }, 'order'],
      waitTimeoutMs: 10_000,
      timeZone: 'Europe/Paris',
    }));
  });
  afterAll(async () => {
    await close?.();
    await db?.close();
  });

  it(`${TRANSACTIONS} concurrent transactions, a third rolling back at random: the committed numbers are exactly 1..N`, async () => {
    const random = seededRandom(42);
    const plans = Array.from({ length: TRANSACTIONS }, () => ({ rollback: random() < 1 / 3, workMs: random() * 5 }));
    // SQLite: two connections to the file, each running its transactions one at a time (TypeORM runs every
    // transaction of a DataSource on its one connection); the two contend for the database's write lock.
    const sources: DataSource[] = engine === 'sqlite' ? [db.dataSource, await db.another()] : [db.dataSource];
    const queues = sources.map(() => serially());
    let conflicts = 0;
    const outcomes = await Promise.all(
      plans.map(({ rollback, workMs }, i) => {
        const source = sources[i % sources.length];
        const run = () =>
          transaction(
            source,
            async (manager) => {
              const code = await ids.nextGaplessCode(TAG, { manager });
              await manager.query(`INSERT INTO numbered (code) VALUES (${db.p(1)})`, [code]);
              await sleep(workMs);
              if (rollback) throw new RolledBack();
              return code;
            },
            { busy: () => conflicts++ },
          );
        return engine === 'sqlite' ? queues[i % queues.length](run) : run();
      }),
    );

    const committed = outcomes.filter((code): code is string => code !== null);
    const rolledBack = plans.filter((plan) => plan.rollback).length;
    expect(rolledBack).toBeGreaterThanOrEqual(10);
    expect(committed).toHaveLength(TRANSACTIONS - rolledBack);
    const stored = await db.codes();
    expect(stored.sort()).toEqual([...committed].sort());
    expect(seqs(stored)).toEqual(oneTo(committed.length));
    // Every code shows the database's year in the module's zone, and parses back to its number.
    for (const code of committed) expect(ids.parseCode(TAG, code).period).toMatch(/^\d{4}$/);

    const audit = await admin.auditGapless(TAG, {
      manager: db.dataSource.manager,
      table: 'numbered',
      column: 'code',
      period: ids.parseCode(TAG, committed[0]).period!,
    });
    expect(audit).toEqual({
      tag: TAG,
      period: ids.parseCode(TAG, committed[0]).period,
      issued: BigInt(committed.length),
      rows: committed.length,
      gaps: [],
      repeats: [],
      beyond: [],
      unreadable: 0,
      continuous: true,
    });
    // Deadlocks of waiters on a first row rolled back (InnoDB) are retried by running the transaction again.
    console.log(`${engine}: ${committed.length} committed, ${rolledBack} rolled back, ${conflicts} retried`);
  });

  it('several series side by side (one per establishment) number independently', async () => {
    const series = ['invoice-fr-paris', 'invoice-fr-lyon'];
    const { ids: byShop, close: closeShops } = await gaplessGenerator({
      bizTags: series.map((tag) => ({ tag, gapless: true, format: `${tag.slice(-4).toUpperCase()}-{seq:4}` })),
    });
    try {
      const queue = serially();
      const taken = await Promise.all(
        oneTo(12).map((i) => {
          const run = () => transaction(db.dataSource, (manager) => byShop.nextGaplessCode(series[i % 2], { manager }));
          return engine === 'sqlite' ? queue(run) : run();
        }),
      );
      expect(taken.filter((code) => code!.startsWith('ARIS')).sort()).toEqual(oneTo(6).map((n) => `ARIS-000${n}`));
      expect(taken.filter((code) => code!.startsWith('LYON')).sort()).toEqual(oneTo(6).map((n) => `LYON-000${n}`));
    } finally {
      await closeShops();
    }
  });
});
