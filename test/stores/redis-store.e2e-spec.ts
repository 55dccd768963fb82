import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { IdOverflowError, LeafStoreError, MAX_ID, UnknownBizTagError } from 'nest-leaf';
import { LeafAllocMigration, TypeOrmLeafStore } from 'nest-leaf/typeorm';
import { RedisLeafStore } from 'nest-leaf/redis';
import { describeLeafStoreContract } from 'nest-leaf/testing';
import { resolveLeafOptions } from '../../libs/leaf/src/leaf.options.js';
import { expectStrictlyIncreasing, expectUnique } from '../../harness/assertions.js';
import { mariadbDatabase } from '../support/engines.js';
import { PrivateRedis } from '../support/redis-server.js';
import {
  captureLogs,
  deleteKeys,
  Generators,
  latencyLine,
  percentiles,
  reserveLatency,
  SHARED_REDIS,
} from '../support/redis.js';

/**
 * RedisLeafStore on the shared Redis (6379: nothing on disk, not a cluster), under a key prefix of this suite's own.
 * The store's contract (the LeafStore JSDoc) and what only Redis has: hashes written by hand, 2^63-1 exactly, SCAN
 * discovery, prefixes holding glob characters, keys of other types, one round trip per reservation.
 */
const PREFIX = `leaf_test:redis-store:${process.pid}:`;
const P = `${PREFIX}alloc:`;
/** The replication ID a hash names in `fenced_by`. */
const REPLID = expect.stringMatching(/^[0-9a-f]{40}$/);

// The contract every store passes, under a prefix of its own (its tags carry a random suffix per run too).
describeLeafStoreContract('RedisLeafStore on Redis 6379', async () => {
  const client = new Redis(SHARED_REDIS);
  const prefix = `leaf_test:redis-contract:${process.pid}:`;
  return {
    store: new RedisLeafStore(client, { keyPrefix: prefix }),
    close: async () => {
      await deleteKeys(client, prefix);
      client.disconnect();
    },
  };
});

describe('RedisLeafStore (Redis 6379)', () => {
  let redis: Redis;
  let store: RedisLeafStore;
  const generators = new Generators();
  let logs: ReturnType<typeof captureLogs>;

  const tags = (...names: string[]) => resolveLeafOptions({ bizTags: names, step: 10 }).bizTags;
  const hash = (tag: string, prefix = P) => redis.hgetall(prefix + tag);

  beforeAll(async () => {
    redis = new Redis(SHARED_REDIS);
    await deleteKeys(redis, PREFIX);
  });

  beforeEach(async () => {
    logs = captureLogs();
    store = new RedisLeafStore(redis, { keyPrefix: P });
  });

  afterEach(async () => {
    await generators.closeAll();
    await deleteKeys(redis, PREFIX);
    logs.restore();
  });

  afterAll(async () => {
    await deleteKeys(redis, PREFIX).catch(() => undefined);
    redis.disconnect();
  });

  it('creates missing hashes at max_id 1 with all their fields, leaves existing ones alone, and is idempotent under concurrency', async () => {
    await redis.hset(`${P}kept`, 'max_id', '500', 'step', '7');
    const bizTags = resolveLeafOptions({
      bizTags: ['kept', { tag: 'a', description: 'orders' }, 'b'],
      step: 10,
    }).bizTags;
    await Promise.all(Array.from({ length: 8 }, () => store.createTags(bizTags)));
    expect(await hash('kept')).toEqual({ max_id: '500', step: '7' });
    expect(await hash('a')).toEqual({
      max_id: '1',
      step: '10',
      description: 'orders',
      update_time: expect.any(String),
      fenced_by: REPLID, // the master it was created on: see test/reliability/failover-redis.e2e-spec.ts
    });
    expect(await hash('b')).toEqual({ max_id: '1', step: '10', update_time: expect.any(String), fenced_by: REPLID });
    const updated = Number((await hash('a')).update_time);
    expect(Math.abs(updated - Date.now())).toBeLessThan(60_000); // ms since the epoch, from the server's clock
    expect(new Set((await store.listTags()).map((row) => `${row.bizTag}/${row.step}`))).toEqual(
      new Set(['kept/7', 'a/10', 'b/10']),
    );
  });

  it('reserves [M, M + step) atomically: 300 concurrent reservations tile the range without overlap', async () => {
    await store.createTags(tags('t'));
    expect(await store.reserve('t', 10)).toEqual({ start: 1n, end: 11n });
    const ranges = await Promise.all(Array.from({ length: 300 }, (_, i) => store.reserve('t', 1 + (i % 7))));
    ranges.sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let i = 1; i < ranges.length; i++) expect(ranges[i].start).toBe(ranges[i - 1].end);
    expect(ranges[0].start).toBe(11n);
    expect((await hash('t')).max_id).toBe(String(ranges[ranges.length - 1].end));
  });

  it('serves a hash written by hand (HSET max_id 1000 step 100) from 1000, through the generator', async () => {
    await redis.hset(`${P}order`, 'max_id', '1000', 'step', '100');
    expect(await store.findTag('order')).toEqual({ bizTag: 'order', step: 100 });
    const ids = await generators.start(store, { bizTags: ['order'], dynamicStep: false });
    const issued = await ids.nextIds('order', 250);
    expect(issued[0]).toBe(1000n);
    expectUnique(issued);
    expectStrictlyIncreasing(issued);
    expect(Number((await hash('order')).max_id)).toBeGreaterThanOrEqual(1300);
  });

  it('is exact up to 2^63-1: the last range ends at 2^63-1, the next one is IdOverflowError with the exact max_id', async () => {
    await redis.hset(`${P}big`, 'max_id', '9223372036854775000', 'step', '100');
    expect(await store.reserve('big', 800)).toEqual({
      start: 9_223_372_036_854_775_000n,
      end: 9_223_372_036_854_775_800n,
    });
    expect(await store.reserve('big', 7)).toEqual({ start: 9_223_372_036_854_775_800n, end: MAX_ID });
    const refused = store.reserve('big', 1);
    await expect(refused).rejects.toBeInstanceOf(IdOverflowError);
    await expect(refused).rejects.toMatchObject({ bizTag: 'big', maxId: MAX_ID, step: 1 });
    expect((await hash('big')).max_id).toBe('9223372036854775807');
    // Odd values near 2^63 that a double would round: 2^63 - 2 - 2^10 + 1 and so on.
    await redis.hset(`${P}odd`, 'max_id', '9223372036854774783', 'step', '1');
    expect(await store.reserve('odd', 3)).toEqual({
      start: 9_223_372_036_854_774_783n,
      end: 9_223_372_036_854_774_786n,
    });
  });

  it('hands out the very last IDs below 2^63-1 through the generator, then fails the tag with IdOverflowError', async () => {
    await redis.hset(`${P}end`, 'max_id', String(MAX_ID - 25n), 'step', '10');
    const ids = await generators.start(store, { bizTags: ['end'], dynamicStep: false });
    const issued = await ids.nextIds('end', 25);
    expect(issued[0]).toBe(MAX_ID - 25n);
    expect(issued[24]).toBe(MAX_ID - 1n);
    await expect(ids.nextId('end')).rejects.toBeInstanceOf(IdOverflowError);
  });

  it('refuses a missing tag with UnknownBizTagError naming the HSET that creates it, creating nothing', async () => {
    const call = store.reserve('nope', 10);
    await expect(call).rejects.toBeInstanceOf(UnknownBizTagError);
    await expect(call).rejects.toThrow(`HSET ${P}nope max_id 1 step 1000`);
    expect(await redis.exists(`${P}nope`)).toBe(0);
    expect(await store.findTag('nope')).toBeUndefined();
  });

  it('gives a tail back by compare-and-set on the exact max_id string, and never creates a hash', async () => {
    await store.createTags(tags('g'));
    const { end } = await store.reserve('g', 100); // [1, 101)
    expect(await store.giveBack('g', 40n, end + 1n)).toBe(false);
    expect(await store.giveBack('g', 40n, end)).toBe(true);
    expect((await hash('g')).max_id).toBe('40');
    expect(await store.reserve('g', 10)).toEqual({ start: 40n, end: 50n });
    expect(await store.giveBack('g', 45n, 40n)).toBe(false); // another node reserved since
    expect(await store.giveBack('missing', 1n, 2n)).toBe(false);
    expect(await redis.exists(`${P}missing`)).toBe(0);
    await redis.hset(`${P}near`, 'max_id', String(MAX_ID), 'step', '1');
    expect(await store.giveBack('near', MAX_ID - 5n, MAX_ID)).toBe(true);
    expect((await hash('near')).max_id).toBe(String(MAX_ID - 5n));
  });

  it('inserts one hash (false, unchanged, when the tag exists), sets steps only of existing hashes', async () => {
    const row = { bizTag: 'ins', maxId: 4_611_686_018_427_387_907n, step: 25, description: null };
    expect(await store.insertTag(row)).toBe(true);
    expect(await store.insertTag({ ...row, maxId: 1n, description: 'x' })).toBe(false);
    expect(await hash('ins')).toEqual({
      max_id: '4611686018427387907',
      step: '25',
      update_time: expect.any(String),
      fenced_by: REPLID,
    });
    expect(await store.reserve('ins', 5)).toEqual({
      start: 4_611_686_018_427_387_907n,
      end: 4_611_686_018_427_387_912n,
    });
    expect(await store.setStep('ins', 70)).toBe(true);
    expect(await store.findTag('ins')).toEqual({ bizTag: 'ins', step: 70 });
    expect(await store.setStep('absent', 70)).toBe(false);
    expect(await redis.exists(`${P}absent`)).toBe(0);
  });

  it('finds tags exactly: keys compare byte for byte, so "Order" is not "order"', async () => {
    await store.createTags(tags('order', 'Ünïcode tag'));
    expect(await store.findTag('Order')).toBeUndefined();
    expect(await store.findTag('order ')).toBeUndefined();
    expect(await store.findTag('Ünïcode tag')).toEqual({ bizTag: 'Ünïcode tag', step: 10 });
    expect(await store.insertTag({ bizTag: 'Order', maxId: 1n, step: 3, description: null })).toBe(true);
    expect((await store.listTags()).map((row) => row.bizTag).sort()).toEqual(['Order', 'order', 'Ünïcode tag']);
  });

  it('lists thousands of tags with SCAN (several cursor steps), and nothing outside its prefix', async () => {
    const names = Array.from({ length: 2500 }, (_, i) => `tag-${i}`);
    await store.createTags(tags(...names));
    await redis.hset(`${PREFIX}alloc_other:x`, 'max_id', '1', 'step', '1'); // shares the text "alloc", not the prefix
    await redis.hset(`${PREFIX}other:y`, 'max_id', '1', 'step', '1');
    const rows = await store.listTags();
    expect(rows).toHaveLength(2500);
    expect(new Set(rows.map((row) => row.bizTag))).toEqual(new Set(names));
  });

  it('matches a prefix holding glob characters literally', async () => {
    const globby = `${PREFIX}[ab]*?\\:`;
    const store2 = new RedisLeafStore(redis, { keyPrefix: globby });
    await store2.createTags(tags('one', 'two'));
    // Each of these would match the prefix read as a pattern.
    for (const key of [`${PREFIX}a-x?\\:three`, `${PREFIX}b*?\\:four`, `${PREFIX}[ab]xx?\\:five`]) {
      await redis.hset(key, 'max_id', '1', 'step', '1');
    }
    expect((await store2.listTags()).map((row) => row.bizTag).sort()).toEqual(['one', 'two']);
    expect(await store2.reserve('one', 5)).toEqual({ start: 1n, end: 6n });
    expect(await redis.hget(`${globby}one`, 'max_id')).toBe('6');
  });

  it("works behind an ioredis client's own keyPrefix: keys are <client prefix><store prefix><tag>", async () => {
    const prefixed = new Redis({ ...SHARED_REDIS, keyPrefix: `${PREFIX}client:` });
    try {
      const store2 = new RedisLeafStore(prefixed, { keyPrefix: 'alloc:' });
      await store2.createTags(tags('k'));
      expect(await redis.hget(`${PREFIX}client:alloc:k`, 'max_id')).toBe('1');
      expect(await store2.listTags()).toEqual([{ bizTag: 'k', step: 10 }]);
      expect(await store2.reserve('k', 3)).toEqual({ start: 1n, end: 4n });
      expect(await store2.giveBack('k', 2n, 4n)).toBe(true);
      expect(await redis.hget(`${PREFIX}client:alloc:k`, 'max_id')).toBe('2');
    } finally {
      prefixed.disconnect();
    }
  });

  it('refuses, with the HSET that fixes it, a hash whose max_id or step is not an integer, and a key that is not a hash', async () => {
    await redis.hset(`${P}badmax`, 'max_id', '12abc', 'step', '10');
    await redis.hset(`${P}nomax`, 'step', '10');
    await redis.hset(`${P}badstep`, 'max_id', '1', 'step', '0');
    await redis.set(`${P}string`, 'x');
    await store.createTags(tags('fine'));

    const badMax = store.reserve('badmax', 5);
    await expect(badMax).rejects.toBeInstanceOf(LeafStoreError);
    await expect(badMax).rejects.toThrow(`HSET ${P}badmax max_id <n>`);
    expect(await hash('badmax')).toEqual({ max_id: '12abc', step: '10' });
    await expect(store.reserve('nomax', 5)).rejects.toThrow(/has max_id \(none\), which is not an integer/);
    expect(await hash('nomax')).toEqual({ step: '10' });
    await expect(store.findTag('badstep')).rejects.toThrow(`Fix it with: HSET ${P}badstep step 1000.`);
    await expect(store.findTag('string')).rejects.toBeInstanceOf(LeafStoreError);
    await expect(store.reserve('string', 5)).rejects.toThrow(/is not a hash/);
    // The listing leaves out what it cannot serve (with one warning each) instead of failing every tag.
    expect((await store.listTags()).map((row) => row.bizTag).sort()).toEqual(['badmax', 'fine', 'nomax']);
    await store.listTags();
    expect(logs.warn.filter((line) => line.startsWith('Not serving'))).toHaveLength(2);
    // The generator refuses them at startup with the same fix.
    await expect(generators.start(store, { bizTags: ['badstep'] })).rejects.toThrow(`HSET ${P}badstep step 1000`);
  });

  it('honours an AbortSignal: aborted before, nothing is sent; aborted while Redis is paused, it rejects at once and the late range is a gap', async () => {
    await store.createTags(tags('s'));
    const before = AbortSignal.abort(new Error('gone'));
    await expect(store.reserve('s', 10, before)).rejects.toThrow('gone');
    expect((await hash('s')).max_id).toBe('1');

    const admin = new Redis(SHARED_REDIS);
    try {
      await admin.client('PAUSE', 400, 'WRITE');
      const started = performance.now();
      await expect(store.reserve('s', 10, AbortSignal.timeout(50))).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(performance.now() - started).toBeLessThan(300);
    } finally {
      await admin.client('UNPAUSE');
      admin.disconnect();
    }
    // The command was sent and cannot be taken back: it lands, and its range [1, 11) is never used by anyone.
    for (let i = 0; i < 50 && (await hash('s')).max_id === '1'; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await hash('s')).max_id).toBe('11');
    expect(await store.reserve('s', 10)).toEqual({ start: 11n, end: 21n });
  });

  it('takes one round trip per reservation: one EVALSHA, nothing else', async () => {
    await store.createTags(tags('rt'));
    await store.reserve('rt', 1); // the first call on a connection sends EVAL, then EVALSHA
    const stats = async () => {
      const text = await redis.info('commandstats');
      return Object.fromEntries([...text.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
    };
    const before = await stats();
    for (let i = 0; i < 20; i++) await store.reserve('rt', 1);
    const after = await stats();
    const delta = Object.fromEntries(
      Object.keys(after)
        .filter((name) => name !== 'info' && after[name] !== (before[name] ?? 0))
        .map((name) => [name, after[name] - (before[name] ?? 0)]),
    );
    // Inside the script: HGET, HINCRBY, TIME, HSET, HGET; on the wire: EVALSHA alone.
    expect(delta.evalsha).toBe(20);
    expect(delta.eval).toBeUndefined();
    expect(delta.hincrby).toBe(20);
  });

  it('is "redis" to the generator, and says at first use what a crash costs on this server (nothing on disk)', async () => {
    expect(store.engine).toBe('redis');
    await store.createTags(tags('d'));
    const durability = await store.checkDurability();
    expect(durability).toMatchObject({ persistence: 'none', nodes: [{ appendonly: 'no', save: '' }] });
    expect(logs.warn).toContain(durability.message);
    expect(durability.message).toMatch(/^Redis keeps nothing on disk \(appendonly no, save ""\)/);
    expect(await store.checkDurability()).toBe(durability); // read once
    expect(logs.warn.filter((line) => line === durability.message)).toHaveLength(1);
  });

  it('keeps IDs unique across 3 generators on one hash, and a restart continues above them', async () => {
    const options = { bizTags: ['u'], step: 50, dynamicStep: false };
    const nodes = await Promise.all(
      [0, 1, 2].map(() => generators.start(new RedisLeafStore(redis, { keyPrefix: P }), options)),
    );
    const all = (
      await Promise.all(nodes.map((ids) => Promise.all(Array.from({ length: 2000 }, () => ids.nextId('u')))))
    ).flat();
    expectUnique(all);
    await generators.closeAll(); // gives the tails back
    const highest = all.reduce((a, b) => (a > b ? a : b));
    const next = await generators.start(store, options);
    const first = await next.nextId('u');
    expect(first).toBeGreaterThan(highest);
    // Of the three tails one came back (the newest segment's, by compare-and-set); the other two are gaps.
    expect(first - highest).toBeLessThan(3n * 50n);
  });

  it('measures reserve() one at a time: Redis 6379 against TypeORM on MariaDB 3306, in the same run', async () => {
    await store.createTags(tags('lat'));
    const database = await mariadbDatabase('redis_latency');
    const options = { ...database.options, migrations: [LeafAllocMigration], migrationsRun: true } as DataSourceOptions;
    const dataSource = await new DataSource(options).initialize();
    try {
      const sql = new TypeOrmLeafStore(dataSource);
      await sql.createTags(tags('lat'));
      const redisMs: number[] = [];
      const sqlMs: number[] = [];
      // Alternating blocks, so a slow stretch of the machine weighs on both.
      for (let block = 0; block < 4; block++) {
        redisMs.push(...(await reserveLatency(store, 'lat', 500)));
        sqlMs.push(...(await reserveLatency(sql, 'lat', 500)));
      }
      process.stdout.write(
        `[latency] reserve() on Redis 6379 (EVALSHA): ${latencyLine(redisMs)}\n` +
          `[latency] reserve() on MariaDB 3306 (TypeORM, UPDATE … LAST_INSERT_ID): ${latencyLine(sqlMs)}\n`,
      );
      expect(percentiles(redisMs).p50).toBeLessThan(20);
      expect(percentiles(sqlMs).p50).toBeLessThan(50);
    } finally {
      await dataSource.destroy();
      await database.dispose();
    }
  });
});

describe('RedisLeafStore while Redis is down at boot', () => {
  let redis: PrivateRedis;
  const generators = new Generators();
  const clients: Redis[] = [];
  const client = () => {
    const made = redis.client();
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    await redis.kill();
  });

  afterAll(async () => {
    await generators.closeAll();
    for (const made of clients) made.disconnect();
    await redis?.dispose();
  });

  it('fails after bootTimeoutMs naming the address, without a database in sight or ioredis printing errors', async () => {
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const store = new RedisLeafStore(client(), { keyPrefix: 'boot:' });
      const options = { bizTags: ['b'], bootTimeoutMs: 800, reservationTimeoutMs: 1000 };
      const error = await generators.start(store, options).then(
        () => Promise.reject(new Error('booted without Redis')),
        (refused: unknown) => refused as Error,
      );
      expect(error).toBeInstanceOf(LeafStoreError);
      expect(error.message).toMatch(
        new RegExp(
          `^Could not read the tags from Redis at 127\\.0\\.0\\.1:${redis.port} \\(keys boot:\\*\\) at startup ` +
            '\\(retried for up to bootTimeoutMs, 800 ms\\): connection refused: .*is not reachable: .*ECONNREFUSED',
        ),
      );
      expect(error.message).not.toMatch(/database|leaf_alloc|SELECT|SQL/);
      expect(printed.mock.calls.map((args) => String(args[0])).filter((line) => line.includes('ioredis'))).toEqual([]);
    } finally {
      printed.mockRestore();
    }
  }, 20_000);

  it('boots once Redis comes up within bootTimeoutMs', async () => {
    const booting = generators.start(new RedisLeafStore(client(), { keyPrefix: 'boot:' }), {
      bizTags: ['b'],
      reservationTimeoutMs: 1000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await redis.start();
    const ids = await booting;
    expect(await ids.nextId('b')).toBe(1n);
  }, 20_000);
});
