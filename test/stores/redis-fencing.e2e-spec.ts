import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { FenceRequiredError, IdOverflowError, LeafStoreError, MAX_ID, type FenceSkips } from 'nest-leaf';
import { RedisLeafStore } from 'nest-leaf/redis';
import { resolveLeafOptions } from '../../libs/leaf/src/leaf.options.js';
import { captureLogs, deleteKeys, Generators, SHARED_REDIS } from '../support/redis.js';

/**
 * The fencing scripts of RedisLeafStore, on the shared Redis (6379) under a prefix of this suite's own. A failover is
 * staged by writing another master's replication ID where the scripts look for it (a hash's `fenced_by`, the
 * marker's): the scripts compare it with the server's own `master_replid`, as they do after a real promotion
 * (test/reliability/failover-redis.e2e-spec.ts kills a real master and promotes its replica).
 */
const PREFIX = `leaf_test:redis-fencing:${process.pid}:`;
const OTHER = 'f'.repeat(40); // the replication ID of a master that is gone
const SKIPS: FenceSkips = { defaultSkip: 1000n, tags: new Map([['inv', 5000n]]) };

describe('RedisLeafStore fencing (Redis 6379)', () => {
  let redis: Redis;
  let replid: string;
  let P: string;
  let store: RedisLeafStore;
  let logs: ReturnType<typeof captureLogs>;
  let run = 0;
  const generators = new Generators();

  const tags = (...names: string[]) => resolveLeafOptions({ bizTags: names, step: 10 }).bizTags;
  const field = (tag: string, name: string) => redis.hget(P + tag, name);
  const marker = () => redis.hgetall(`${P}__nest_leaf_fence__`);
  /** The failover, as the scripts see it: the hashes and the marker name a master that is not this one. */
  const failOver = async (...names: string[]) => {
    for (const name of names) await redis.hset(P + name, 'fenced_by', OTHER);
    await redis.hset(`${P}__nest_leaf_fence__`, 'fenced_by', OTHER);
  };

  beforeAll(async () => {
    redis = new Redis(SHARED_REDIS);
    replid = /master_replid:(\w+)/.exec(await redis.info('replication'))![1];
  });

  beforeEach(() => {
    logs = captureLogs();
    P = `${PREFIX}${run++}:`;
    store = new RedisLeafStore(redis, { keyPrefix: P });
  });

  afterEach(async () => {
    await generators.closeAll();
    logs.restore();
  });

  afterAll(async () => {
    await deleteKeys(redis, PREFIX);
    redis.disconnect();
  });

  it('names the master in fenced_by and the marker at creation; a hash written by hand gets it with its first reservation, served from its max_id', async () => {
    await store.createTags(tags('a'));
    expect(await field('a', 'fenced_by')).toBe(replid);
    expect(await marker()).toEqual({ fenced_by: replid }); // first seen: no fence recorded
    await redis.hset(`${P}hand`, 'max_id', '500', 'step', '10');
    expect(await store.reserve('hand', 10)).toEqual({ start: 500n, end: 510n });
    expect(await field('hand', 'fenced_by')).toBe(replid);
    // A store an older version wrote: no marker, no fenced_by; the first reservation names both, moving nothing.
    await redis.del(`${P}__nest_leaf_fence__`);
    await redis.hdel(`${P}a`, 'fenced_by');
    expect(await store.reserve('a', 10)).toEqual({ start: 1n, end: 11n });
    expect(await marker()).toEqual({ fenced_by: replid });
    expect(await store.fence(SKIPS)).toEqual({
      fenced: false,
      identity: `redis replid ${replid}`,
      previous: null,
      rows: 0,
    });
  });

  it('refuses every reservation after a failover, changing nothing; one fence by 5 stores at once moves each hash once, by its skip', async () => {
    await store.createTags(tags('a', 'b', 'inv:20261201'));
    await store.reserve('a', 10);
    await redis.hset(`${P}hand`, 'max_id', '500', 'step', '10'); // written by hand before the failover
    await failOver('a', 'b', 'inv:20261201');

    const refused = await store.reserve('a', 10).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FenceRequiredError);
    expect(refused).toMatchObject({ identity: `redis replid ${replid}`, fencedFor: `redis replid ${OTHER}` });
    expect(String(refused)).toMatch(/fenced for the master with replication ID f{40}.*LeafAdmin\.fence\(\)/);
    await expect(store.reserve('hand', 10)).rejects.toBeInstanceOf(FenceRequiredError); // by the marker
    expect(await store.giveBack('a', 5n, 11n)).toBe(false);
    expect(await field('a', 'max_id')).toBe('11');

    const stores = Array.from({ length: 5 }, () => new RedisLeafStore(redis, { keyPrefix: P }));
    const outcomes = await Promise.all(stores.map((s) => s.fence(SKIPS)));
    expect(outcomes.reduce((sum, outcome) => sum + outcome.rows, 0)).toBe(4);
    expect(outcomes.some((outcome) => outcome.previous === `redis replid ${OTHER}`)).toBe(true);
    expect(outcomes.every((outcome) => outcome.identity === `redis replid ${replid}`)).toBe(true);
    expect(await field('a', 'max_id')).toBe('1011');
    expect(await field('b', 'max_id')).toBe('1001');
    expect(await field('inv:20261201', 'max_id')).toBe('5001'); // a period row: its period tag's skip
    expect(await field('hand', 'max_id')).toBe('1500');
    expect(await marker()).toEqual({
      fenced_by: replid,
      fenced_at: expect.stringMatching(/^\d{13}$/),
      previous: OTHER,
      skip: '1000',
      'skip:inv': '5000',
    });
    expect(await store.fence(SKIPS)).toMatchObject({ fenced: false, rows: 0 });
    expect(await store.reserve('a', 10)).toEqual({ start: 1011n, end: 1021n });
    expect(await store.giveBack('a', 1015n, 1021n)).toBe(true);
  });

  it('after a fence, a missing hash starts a skip further on: a plain tag always, a period row whose period began before the fence', async () => {
    await store.createTags(tags('a'));
    await failOver('a');
    // Created before anyone fenced: it names the old master, so the fence moves it with the rest.
    await store.createTags(tags('lost'));
    expect(await field('lost', 'fenced_by')).toBe(OTHER);
    await expect(store.reserve('lost', 10)).rejects.toBeInstanceOf(FenceRequiredError);
    expect((await store.fence(SKIPS)).rows).toBe(2);
    expect(await store.reserve('lost', 10)).toEqual({ start: 1001n, end: 1011n });

    const day = (offsetDays: number) =>
      new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    await store.createTags(tags('later', `inv:${day(0)}`, `inv:${day(2)}`, 'other:20991231'));
    expect(await field('later', 'max_id')).toBe('1001');
    expect(await field(`inv:${day(0)}`, 'max_id')).toBe('5001'); // today's period began before the fence
    expect(await field(`inv:${day(2)}`, 'max_id')).toBe('1'); // a period that begins after it is new
    expect(await field('other:20991231', 'max_id')).toBe('1001'); // no configured period tag "other": a plain tag
    expect(await store.insertTag({ bizTag: 'ins', maxId: 777n, step: 5, description: null })).toBe(true);
    expect(await field('ins', 'max_id')).toBe('1777');
    for (const tag of ['later', `inv:${day(0)}`, 'ins']) expect(await field(tag, 'fenced_by')).toBe(replid);
  });

  it('never moves max_id past 2^63-1: the tag then refuses with IdOverflowError rather than repeat an ID', async () => {
    await redis.hset(`${P}near`, 'max_id', String(MAX_ID - 10n), 'step', '1', 'fenced_by', OTHER);
    expect((await store.fence(SKIPS)).rows).toBe(1);
    expect(await field('near', 'max_id')).toBe(String(MAX_ID));
    await expect(store.reserve('near', 1)).rejects.toBeInstanceOf(IdOverflowError);
  });

  it('keeps the marker out of the tags: listTags leaves it out, and its name is refused as a tag', async () => {
    await store.createTags(tags('a'));
    expect((await store.listTags()).map((row) => row.bizTag)).toEqual(['a']);
    await expect(store.findTag('__nest_leaf_fence__')).rejects.toThrow(/is the failover marker/);
    await expect(store.reserve('__nest_leaf_fence__', 1)).rejects.toBeInstanceOf(LeafStoreError);
    // The module's options refuse the name before any store sees it; a store given it anyway refuses it too.
    expect(() => tags('b', '__nest_leaf_fence__{3}')).toThrow(/is reserved/);
    const rows = [
      { tag: 'b', step: 10, description: null },
      { tag: '__nest_leaf_fence__{3}', step: 10, description: null },
    ];
    await expect(store.createTags(rows)).rejects.toBeInstanceOf(LeafStoreError);
    expect(await redis.exists(`${P}b`)).toBe(0);
  });

  it("with fencing off: no fenced_by, no marker, other masters' names ignored, and fence() refuses", async () => {
    const off = new RedisLeafStore(redis, { keyPrefix: P, fencing: false });
    await off.createTags(tags('a'));
    expect(await redis.hgetall(`${P}a`)).toEqual({ max_id: '1', step: '10', update_time: expect.any(String) });
    expect(await redis.exists(`${P}__nest_leaf_fence__`)).toBe(0);
    await failOver('a');
    expect(await off.reserve('a', 10)).toEqual({ start: 1n, end: 11n });
    await expect(off.fence(SKIPS)).rejects.toThrow(/Fencing is off/);
  });

  it('a generator fences on its own at its next reservation and serves on, logging what moved', async () => {
    await store.createTags(tags('order'));
    await failOver('order');
    const ids = await generators.start(store, { bizTags: ['order'], step: 10, failoverSkip: 700 });
    expect(await ids.nextIds('order', 3)).toEqual([701n, 702n, 703n]);
    expect(logs.warn.filter((line) => line.startsWith('Fenced '))).toEqual([
      expect.stringMatching(
        new RegExp(`now runs on redis replid ${replid}, was fenced for redis replid ${OTHER}\\. 1 row`),
      ),
    ]);
  });
});
