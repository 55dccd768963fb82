import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { IdGenerator, type LeafModuleOptions, type LeafStore } from 'nest-leaf';
import { RedisLeafStore } from 'nest-leaf/redis';
import { sleep } from '../../harness/assertions.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, typeOrmStoreOn } from '../support/engines.js';
import { captureLogs, deleteKeys, Generators, SHARED_REDIS } from '../support/redis.js';

/**
 * Business numbers on every engine: a daily invoice number through a midnight crossed under load by two nodes whose
 * clocks disagree, and a quiet tag sleeping through days. The clock is the real one shifted, so midnight (in
 * Asia/Shanghai) comes a second or two into the test.
 */
const SUITE = 'business_numbers';
const ZONE = 'Asia/Shanghai';
const FORMAT = 'INV-{yyyy}{MM}{dd}-{seq:6}';

interface Opened {
  readonly store: LeafStore;
  close(): Promise<void>;
}

async function redis(): Promise<Opened> {
  const client = new Redis(SHARED_REDIS);
  const keyPrefix = `leaf_test:${SUITE}:${process.pid}:`;
  await deleteKeys(client, keyPrefix);
  return {
    store: new RedisLeafStore(client, { keyPrefix }),
    close: async () => {
      await deleteKeys(client, keyPrefix);
      client.disconnect();
    },
  };
}

const ENGINES: ReadonlyArray<[string, () => Promise<Opened>]> = [
  ['MariaDB', () => typeOrmStoreOn(() => mariadbDatabase(SUITE))],
  ['PostgreSQL', () => typeOrmStoreOn(() => postgresDatabase(SUITE))],
  ['SQLite', () => typeOrmStoreOn(sqliteDatabase)],
  ['Redis', redis],
];

/** The offset that puts the next midnight in ZONE `inMs` from now. */
function offsetToMidnight(inMs: number): number {
  const now = Date.now();
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
    .formatToParts(now)
    .reduce<Record<string, number>>((all, part) => ({ ...all, [part.type]: Number(part.value) }), {});
  const sinceMidnight = ((parts.hour * 60 + parts.minute) * 60 + parts.second) * 1000 + (now % 1000);
  return 86_400_000 - sinceMidnight - inMs;
}

interface Issued {
  readonly node: number;
  readonly code: string;
  /** Real (monotonic) time it came back. */
  readonly at: number;
}

describe.each(ENGINES)('business numbers on %s', (_name, open) => {
  let opened: Opened;
  const generators = new Generators();
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(async () => {
    logs = captureLogs();
    opened = await open();
  });

  afterEach(async () => {
    await generators.closeAll();
    await opened.close();
    logs.restore();
  });

  afterAll(() => undefined);

  const options = (clock: () => number): LeafModuleOptions => ({
    bizTags: [{ tag: 'invoice', step: 500, period: 'day', format: FORMAT }],
    timeZone: ZONE,
    clock,
    checkIntervalMs: 20,
  });

  it('crosses midnight under load on two nodes whose clocks differ: no wait, no duplicate, restart at 1', async () => {
    const offset = offsetToMidnight(1500);
    const lag = 400; // node 1's clock is 400 ms behind node 0's
    const nodes: IdGenerator[] = [
      await generators.start(
        opened.store,
        options(() => Date.now() + offset),
      ),
      await generators.start(
        opened.store,
        options(() => Date.now() + offset - lag),
      ),
    ];
    const issued: Issued[] = [];
    const end = performance.now() + 3000;
    await Promise.all(
      nodes.flatMap((ids, node) =>
        Array.from({ length: 4 }, async () => {
          while (performance.now() < end) {
            issued.push({ node, code: await ids.nextCode('invoice'), at: performance.now() });
            await sleep(1);
          }
        }),
      ),
    );

    const codes = issued.map((i) => i.code);
    expect(new Set(codes).size).toBe(codes.length);
    const parsed = issued.map((i) => ({ ...i, ...nodes[0].parseCode('invoice', i.code) }));
    const [before, after] = [...new Set(parsed.map((p) => p.period))].sort();
    expect(after).toBeDefined();
    // Each day starts at 1, and each node's codes never go back a day and grow within one.
    for (const period of [after]) {
      expect(parsed.filter((p) => p.period === period).reduce((min, p) => (p.seq < min ? p.seq : min), 2n ** 63n)).toBe(
        1n,
      );
    }
    for (const node of [0, 1]) {
      const own = parsed.filter((p) => p.node === node);
      for (let i = 1; i < own.length; i++) {
        const [a, b] = [own[i - 1], own[i]];
        expect(b.period! > a.period! || (b.period === a.period && b.seq > a.seq)).toBe(true);
      }
    }
    // The lagging node kept issuing the old day's numbers for about as long as it lags (from its own row).
    const firstNewDay = parsed.find((p) => p.node === 0 && p.period === after)!.at;
    const lateOldDay = parsed.filter((p) => p.node === 1 && p.period === before && p.at > firstNewDay + 100);
    expect(lateOldDay.length).toBeGreaterThan(0);
    // Nobody waited: the new day's first segment was reserved before midnight, on both nodes.
    for (const ids of nodes) {
      const [invoice] = ids.inspect();
      expect(invoice).toMatchObject({ tag: 'invoice', period: 'day', row: `invoice:${after}`, waits: 0 });
      expect(invoice.idsIssued).toBe(parsed.filter((p) => p.node === nodes.indexOf(ids)).length);
    }
    const rows = (await opened.store.listTags()).map((row) => row.bizTag).sort();
    expect(rows).toEqual([`invoice:${before}`, `invoice:${after}`]);
  });

  it('lets a quiet tag sleep through days without reserving, and starts the day it is called at 1', async () => {
    let shift = offsetToMidnight(-3_600_000); // one hour into a day
    const ids = await generators.start(
      opened.store,
      options(() => Date.now() + shift),
    );
    const first = ids.parseCode('invoice', await ids.nextCode('invoice'));
    await sleep(100); // ticks of the day it was used in: the next is not prepared, midnight is 23 hours away
    shift += 3 * 86_400_000;
    await sleep(200); // ticks through three midnights at once: the day of the call is the only one opened
    const later = ids.parseCode('invoice', await ids.nextCode('invoice'));
    expect(later.seq).toBe(1n);
    expect(Number(later.period) - Number(first.period)).not.toBe(0);
    const rows = (await opened.store.listTags()).map((row) => row.bizTag).sort();
    expect(rows).toEqual([`invoice:${first.period}`, `invoice:${later.period}`]);
  });
});
