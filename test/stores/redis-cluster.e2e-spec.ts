import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Cluster } from 'ioredis';
import { FenceRequiredError, IdGenerator, LeafModule } from 'nest-leaf';
import { RedisLeafStore, RedisReplicaAckError } from 'nest-leaf/redis';
import { describeLeafStoreContract } from 'nest-leaf/testing';
import { resolveLeafOptions } from '../../libs/leaf/src/leaf.options.js';
import { expectStrictlyIncreasing, expectUnique } from '../../harness/assertions.js';
import { captureLogs, deleteKeys, latencyLine, percentiles, reserveLatency } from '../support/redis.js';
import { PrivateRedisCluster } from '../support/redis-server.js';

/**
 * RedisLeafStore on a Redis Cluster of three masters of this suite's own (the machine's Redis on 6379 is not a
 * cluster): the store contract, tags spread over the slots of every master and found with SCAN on each, and several
 * Nest apps, each with a cluster client of its own, reserving the same tags at once without a duplicate.
 */
let started: Promise<PrivateRedisCluster> | undefined;
const cluster = () => (started ??= PrivateRedisCluster.start(3));
const clients: Cluster[] = [];
const connect = async () => {
  const client = (await cluster()).client();
  clients.push(client);
  return client;
};

afterAll(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await (await started?.catch(() => undefined))?.dispose();
}, 30_000);

describeLeafStoreContract(
  'RedisLeafStore on a 3-master Redis Cluster',
  async () => ({ store: new RedisLeafStore(await connect()) }),
  { timeoutMs: 60_000 },
);

describe('RedisLeafStore on a 3-master Redis Cluster', () => {
  const PREFIX = 'leaf_test:cluster:';
  let client: Cluster;
  let logs: ReturnType<typeof captureLogs>;
  const apps: TestingModule[] = [];

  beforeAll(async () => {
    client = await connect();
  }, 60_000);

  beforeEach(() => {
    logs = captureLogs();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await deleteKeys(client, PREFIX);
    logs.restore();
  });

  it('spreads tags over the slots of every master, lists them all with SCAN on each, and reserves on each', async () => {
    const store = new RedisLeafStore(client, { keyPrefix: PREFIX });
    expect(store.engine).toBe('redis-cluster');
    const names = Array.from({ length: 60 }, (_, i) => `tag-${i}`);
    await store.createTags(resolveLeafOptions({ bizTags: names, step: 10 }).bizTags);

    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const perMaster = await Promise.all(masters.map((node) => node.scan('0', 'MATCH', `${PREFIX}*`, 'COUNT', 1000)));
    // Each master also holds its failover marker (<prefix>__nest_leaf_fence__{n}), which is no tag.
    const markers = perMaster.map(([, keys]) => keys.filter((key) => key.includes('__nest_leaf_fence__')).length);
    expect(markers).toEqual([1, 1, 1]);
    const counts = perMaster.map(([, keys]) => keys.length - 1);
    expect(counts.every((count) => count > 0)).toBe(true); // every master holds some of them
    expect(counts.reduce((a, b) => a + b)).toBe(60);
    const slots = new Set(await Promise.all(names.map((name) => client.cluster('KEYSLOT', PREFIX + name))));
    expect(slots.size).toBeGreaterThan(50);

    expect(new Set((await store.listTags()).map((row) => row.bizTag))).toEqual(new Set(names));
    for (const name of names) expect(await store.reserve(name, 5)).toEqual({ start: 1n, end: 6n });
    expect(await store.giveBack('tag-7', 3n, 6n)).toBe(true);
    expect(await client.hget(`${PREFIX}tag-7`, 'max_id')).toBe('3');
  });

  it('fences per master: hashes named for another master refuse, and one fence moves each on its own master', async () => {
    const store = new RedisLeafStore(client, { keyPrefix: PREFIX });
    const names = Array.from({ length: 12 }, (_, i) => `f-${i}`);
    await store.createTags(resolveLeafOptions({ bizTags: names, step: 10 }).bizTags);
    // A failover as the scripts see it: these hashes name a master that is gone.
    for (const name of names.slice(0, 6)) await client.hset(`${PREFIX}${name}`, 'fenced_by', 'f'.repeat(40));
    await expect(store.reserve('f-0', 10)).rejects.toBeInstanceOf(FenceRequiredError);
    const skips = { defaultSkip: 1000n, tags: new Map<string, bigint>() };
    const outcomes = await Promise.all([
      store.fence(skips),
      new RedisLeafStore(client, { keyPrefix: PREFIX }).fence(skips),
    ]);
    expect(outcomes[0].rows + outcomes[1].rows).toBe(6);
    expect(outcomes[0].identity).toMatch(
      /^redis-cluster, per master: replid [0-9a-f]{40} \(127\.0\.0\.1:\d+\), replid /,
    );
    for (const [i, name] of names.entries()) {
      expect(await client.hget(`${PREFIX}${name}`, 'max_id')).toBe(i < 6 ? '1001' : '1');
    }
    expect(await store.reserve('f-0', 10)).toEqual({ start: 1001n, end: 1011n });
    expect((await store.listTags()).length).toBe(12); // the markers are no tags
  });

  it('pipelines the WAIT behind the reservation on the master of the key: replicas 1 on masters without one refuses', async () => {
    const store = new RedisLeafStore(client, { keyPrefix: PREFIX, replicas: 1, replicaTimeoutMs: 100 });
    await store.createTags(resolveLeafOptions({ bizTags: ['w-1', 'w-2', 'w-3'], step: 10 }).bizTags);
    for (const tag of ['w-1', 'w-2', 'w-3']) {
      const error = await store.reserve(tag, 10).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisReplicaAckError);
      expect(error).toMatchObject({ acknowledged: 0, required: 1, range: { start: 1n, end: 11n } });
    }
  });

  it('reads the persistence settings of every master at first use, and names the least safe', async () => {
    const [safe1, safe2, unsafe] = client.nodes('master');
    try {
      for (const node of [safe1, safe2]) {
        await node.config('SET', 'appendonly', 'yes');
        await node.config('SET', 'appendfsync', 'always');
      }
      const store = new RedisLeafStore(client, { keyPrefix: PREFIX });
      await store.listTags();
      const durability = await store.checkDurability();
      expect(durability.nodes.map((node) => node.persistence).sort()).toEqual(['aof-always', 'aof-always', 'none']);
      expect(durability.persistence).toBe('none');
      expect(durability.message).toMatch(
        new RegExp(
          `^Redis 127\\.0\\.0\\.1:${unsafe.options.port} \\(the least safe of 3 masters\\) keeps nothing on disk`,
        ),
      );
      expect(logs.warn).toEqual([durability.message]);
      process.stdout.write(`[cluster] ${durability.message}\n`);
    } finally {
      for (const node of [safe1, safe2]) await node.config('SET', 'appendonly', 'no');
    }
  });

  it('4 Nest apps, each with its own cluster client, hand out 8 tags spread over 3 masters at once: 0 duplicates', async () => {
    const tags = Array.from({ length: 8 }, (_, i) => `order-${i}`);
    let reservations = 0;
    const failures: unknown[] = [];
    const own: Cluster[] = [];
    for (let i = 0; i < 4; i++) {
      const appClient = await connect();
      own.push(appClient);
      const store = new RedisLeafStore(appClient, { keyPrefix: PREFIX });
      const moduleRef = await Test.createTestingModule({
        imports: [LeafModule.forRoot({ bizTags: tags, step: 25, dynamicStep: false, store })],
      }).compile();
      const app = await moduleRef.init();
      app.get(IdGenerator).onReservation((event) => void (event.ok ? reservations++ : failures.push(event.error)));
      apps.push(app);
    }
    // A tag written by hand on whichever master owns its slot, found on first use by every app.
    await client.hset(`${PREFIX}by-hand`, 'max_id', '5000', 'step', '30');
    const started = performance.now();
    const perApp = await Promise.all(
      apps.map(async (app) => {
        const ids = app.get(IdGenerator);
        const issued = new Map<string, bigint[]>();
        await Promise.all(
          [...tags, 'by-hand'].map(async (tag) => {
            const list: bigint[] = [];
            issued.set(tag, list);
            // 16 callers per tag and app, mixing single IDs and batches.
            await Promise.all(
              Array.from({ length: 16 }, async (_, caller) => {
                for (let n = 0; n < 150; n++) {
                  if (caller % 4 === 0) list.push(...(await ids.nextIds(tag, 7)));
                  else list.push(await ids.nextId(tag));
                }
              }),
            );
          }),
        );
        return issued;
      }),
    );
    const elapsed = performance.now() - started;
    let total = 0;
    for (const tag of [...tags, 'by-hand']) {
      const all = perApp.flatMap((issued) => issued.get(tag)!);
      total += all.length;
      expectUnique(all);
      for (const issued of perApp) expectStrictlyIncreasing(issued.get(tag)!);
    }
    expect(perApp.every((issued) => issued.get('by-hand')!.every((id) => id >= 5000n))).toBe(true);
    expect(failures).toEqual([]);
    process.stdout.write(
      `[cluster] 4 apps, 9 tags over 3 masters: ${total} IDs from ${reservations} reservations in ` +
        `${Math.round(elapsed)} ms, 0 duplicates\n`,
    );
  });

  it('measures reserve() one at a time on the cluster', async () => {
    const store = new RedisLeafStore(client, { keyPrefix: PREFIX });
    await store.createTags(resolveLeafOptions({ bizTags: ['lat'] }).bizTags);
    const samples = await reserveLatency(store, 'lat', 2000);
    process.stdout.write(`[latency] reserve() on the 3-master cluster: ${latencyLine(samples)}\n`);
    expect(percentiles(samples).p50).toBeLessThan(20);
  });
});
