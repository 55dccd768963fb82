import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { RedisLeafStore, RedisReplicaAckError, type RedisLeafStoreOptions } from 'nest-leaf/redis';
import { resolveLeafOptions } from '../../libs/leaf/src/leaf.options.js';
import { sleep } from '../../harness/assertions.js';
import { steadyLoad } from '../support/load.js';
import { captureLogs, Generators, latencyLine, reserveLatency } from '../support/redis.js';
import { PrivateRedis } from '../support/redis-server.js';
import { waitFor } from '../support/replication/common.js';
import { itRunsTheFailoverShapes } from '../support/replication/failover-shapes.js';
import { RedisFailover } from '../support/replication/redis-failover.js';
import { PrivateRedisPair } from '../support/replication/redis-pair.js';

/** Failovers per shape and setting: 1 in `npm test`, more in `npm run test:reliability` (LEAF_REDIS_FAILOVERS). */
const ROUNDS = Math.max(1, Number(process.env.LEAF_REDIS_FAILOVERS ?? 1));

/**
 * A Redis master (AOF, fsync always) fails over to its replica after the replica missed the master's last
 * reservations: the replication link is cut while nodes reserve, the master reserves on (the lost window), is
 * killed with SIGKILL, and the replica is promoted (`REPLICAOF NO ONE`); the nodes' address moves to it (a proxy in
 * front, as a virtual IP would) and their clients reconnect. Three shapes: (a) a node started after the promotion,
 * (b) only nodes running throughout, at unequal rates, (c) the library's defaults (60 s runway, dynamic step). Every
 * ID of every node is checked: none twice with fencing on (the default); the same run with `fencing: false` hands
 * out IDs twice.
 */
describe('Redis failover: master killed after the replica missed its last reservations', () => {
  itRunsTheFailoverShapes<RedisLeafStoreOptions>({
    label: '',
    start: () => RedisFailover.start(),
    // (b) without WAIT (`replicas: 0`), so that fencing alone is at work: with the default WAIT, the reservations of a
    // window shorter than its bound are still waiting for the replica when the master dies, and never served.
    storeOptions: (fencing, shape) => (shape === 'b' ? { fencing, replicas: 0 } : { fencing }),
    rounds: ROUNDS,
    timeoutMs: 40_000,
  });
});

describe('Redis WAIT and restarts (private servers)', () => {
  const disposals: (() => Promise<unknown>)[] = [];
  const generators = new Generators();
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(async () => {
    await generators.closeAll();
    logs.restore();
  });
  afterAll(async () => {
    for (const dispose of disposals.splice(0).reverse()) await dispose();
  });

  const pairClient = (pair: PrivateRedisPair) => {
    const client = pair.server('primary').client({ retryStrategy: () => 50 });
    client.on('error', () => undefined);
    disposals.push(async () => client.disconnect());
    return client;
  };

  it('replicas: 1 serves no range the replica did not acknowledge: with the link cut reservations fail and callers are served from memory; with it back they succeed', async () => {
    const pair = await PrivateRedisPair.start();
    disposals.push(() => pair.dispose());
    const store = new RedisLeafStore(pairClient(pair), { replicas: 1, replicaTimeoutMs: 300 });
    const failed: unknown[] = [];
    let ok = 0;
    const reserve = store.reserve.bind(store);
    store.reserve = (tag, step, signal) =>
      reserve(tag, step, signal).then(
        (range) => {
          ok++;
          return range;
        },
        (error: unknown) => {
          failed.push(error);
          throw error;
        },
      );
    const ids = await generators.start(store, {
      bizTags: ['order'],
      step: 1000,
      dynamicStep: false,
      runwayMs: 0,
      retryMaxDelayMs: 300,
    });
    const load = steadyLoad(ids, 'order', { rate: 200, concurrency: 4 });
    await sleep(1000);
    const okBefore = ok;
    await pair.cutReplication();
    const cutAt = performance.now();
    await waitFor('a reservation refused for want of the replica', 10_000, async () => failed.length > 3);
    const okDuringCut = ok - okBefore;
    pair.link.restore();
    await waitFor('replica link up', 15_000, async () => (await pair.info('replica')).master_link_status === 'up');
    const cutMs = performance.now() - cutAt;
    const failedDuringCut = failed.length;
    await waitFor('a reservation after the link came back', 10_000, async () => ok > okBefore + okDuringCut);
    await sleep(500);
    const result = await load.stop();

    expect(okBefore).toBeGreaterThan(0);
    expect(okDuringCut).toBeLessThanOrEqual(1); // one in flight as the link went may have been acknowledged
    expect(failed.every((error) => error instanceof RedisReplicaAckError)).toBe(true);
    expect(String(failed[0])).toMatch(/only 0 of the 1 replica\(s\) required acknowledged it within 300 ms/);
    expect(result.failures).toEqual([]); // every caller was served from memory meanwhile
    expect(new Set(result.ids).size).toBe(result.ids.length);
    process.stdout.write(
      `[wait] replicas 1, 300 ms: ${okBefore} reservations before the cut, ${failedDuringCut} refused during ` +
        `${Math.round(cutMs)} ms of cut link (RedisReplicaAckError, ranges left as gaps), ${ok - okBefore} after it ` +
        `came back; ${result.ids.length} IDs, 0 failed calls\n`,
    );
  }, 60_000);

  it("replicas: 'connected' (the default) goes on when the replica drops out, and waits for it when it is back", async () => {
    const pair = await PrivateRedisPair.start();
    disposals.push(() => pair.dispose());
    const client = pairClient(pair);
    const store = new RedisLeafStore(client);
    // The replica must be online on the master before the first reservation counts it (a loaded machine syncs late).
    await waitFor('the master to count its replica', 15_000, async () =>
      /slave0:.*state=online/.test(await client.info('replication')),
    );
    await store.createTags(resolveLeafOptions({ bizTags: ['t'] }).bizTags);
    await store.reserve('t', 10);
    const waits = async () => Number(/cmdstat_wait:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);
    const before = await waits();
    await store.reserve('t', 10);
    expect(await waits()).toBe(before + 1); // one WAIT behind the script, in one pipeline
    await pair.cutReplication();
    const started = performance.now();
    await store.reserve('t', 10); // waits for the 1 replica it saw last time, in vain: the count says 0 now
    const firstAfterCut = performance.now() - started;
    const again = performance.now();
    await store.reserve('t', 10);
    expect(performance.now() - again).toBeLessThan(250); // no replica to wait for
    const noWait = await waits();
    pair.link.restore();
    await waitFor('replica link up', 15_000, async () => (await pair.info('replica')).master_link_status === 'up');
    await waitFor('the master to count it', 5000, async () =>
      /slave0:.*state=online/.test(await client.info('replication')),
    );
    await store.reserve('t', 10); // the script counts it again: a WAIT for it follows
    await store.reserve('t', 10); // and goes in the reservation's pipeline from now on
    expect(await waits()).toBe(noWait + 2);
    process.stdout.write(
      `[wait] connected: first reservation after the cut took ${Math.round(firstAfterCut)} ms (the 1000 ms bound), ` +
        'then no WAIT\n',
    );
  }, 60_000);

  it('measures a reservation with and without fencing and WAIT (one replica, loopback)', async () => {
    const pair = await PrivateRedisPair.start();
    disposals.push(() => pair.dispose());
    const client = pairClient(pair);
    const line = async (label: string, options: ConstructorParameters<typeof RedisLeafStore>[1]) => {
      const store = new RedisLeafStore(client, { keyPrefix: `lat:${label}:`, ...options });
      await store.createTags(resolveLeafOptions({ bizTags: ['lat'] }).bizTags);
      const samples = await reserveLatency(store, 'lat', 1000);
      process.stdout.write(`[latency] ${label}: ${latencyLine(samples)}\n`);
    };
    await line('no fencing, no WAIT (as before)', { fencing: false, replicas: 0 });
    await line('fencing, no WAIT', { replicas: 0 });
    await line("fencing, WAIT for 'connected' (1 replica; the default)", {});
    await line('fencing, WAIT for 1 replica', { replicas: 1 });
  }, 60_000);

  it('a restart of the master from its AOF gives it a new replication ID: one fence, a skip per tag, no repeat', async () => {
    const server = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    disposals.push(() => server.dispose());
    const client = server.client({ retryStrategy: () => 50 });
    client.on('error', () => undefined);
    disposals.push(async () => client.disconnect());
    const replid = async () => /master_replid:(\w+)/.exec(await client.info('replication'))![1];
    const ids = await generators.start(new RedisLeafStore(client), {
      bizTags: ['a', 'b'],
      step: 100,
      dynamicStep: false,
      failoverSkip: 5000,
    });
    const before = { a: await ids.nextIds('a', 150), b: await ids.nextIds('b', 150) };
    const idBefore = await replid();
    await server.kill();
    await server.start();
    const after = { a: await ids.nextIds('a', 150), b: await ids.nextIds('b', 150) };
    expect(await replid()).not.toBe(idBefore);
    for (const tag of ['a', 'b'] as const) expect(new Set([...before[tag], ...after[tag]]).size).toBe(300);
    const fences = logs.warn.filter((line) => line.startsWith('Fenced '));
    expect(fences).toEqual([expect.stringMatching(/ 2 row\(s\) moved ahead/)]);
    process.stdout.write(
      `[restart] kill -9 and restart from the AOF: replid ${idBefore.slice(0, 8)}… -> ${(await replid()).slice(0, 8)}…; ` +
        `one fence moved both tags by 5000; "a" handed out ${before.a[149]}, then ${after.a[49]} from memory, then ` +
        `${after.a[50]}\n`,
    );
  }, 60_000);
});
