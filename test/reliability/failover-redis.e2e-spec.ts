import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LeafModuleOptions } from 'nest-leaf';
import { RedisLeafStore, RedisReplicaAckError } from 'nest-leaf/redis';
import { resolveLeafOptions } from '../../libs/leaf/src/leaf.options.js';
import { sleep } from '../../harness/assertions.js';
import { steadyLoad } from '../support/load.js';
import { captureLogs, Generators, latencyLine, reserveLatency } from '../support/redis.js';
import { PrivateRedis } from '../support/redis-server.js';
import { waitFor } from '../support/replication/common.js';
import { failoverReport } from '../support/replication/failover-report.js';
import { RedisFailover, type NodeResult } from '../support/replication/redis-failover.js';
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
  const runs: RedisFailover[] = [];
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((run) => run.dispose()));
    logs.restore();
  });

  /** Fixed small steps, so that the lost window holds many reservations; failoverSkip 10 × maxStep = 100,000. */
  const SMALL: Omit<LeafModuleOptions, 'store' | 'bizTags'> = {
    step: 100,
    dynamicStep: false,
    runwayMs: 0,
    maxStep: 10_000,
    reservationTimeoutMs: 1500,
    retryMaxDelayMs: 300,
  };

  const start = async () => {
    const run = await RedisFailover.start();
    runs.push(run);
    return run;
  };

  /** The figures of a run, printed and returned. */
  const report = (label: string, run: RedisFailover, results: NodeResult[], tags: readonly string[]) =>
    failoverReport(label, run, results, tags, logs.warn);

  /** (a) Nodes reserve through the cut and stop with the master; a node started after the promotion takes over. */
  const shapeA = async (fencing: boolean) => {
    const run = await start();
    const tags = ['order', 'late'];
    await run.node('A', { ...SMALL, bizTags: ['order'] }, [['order', 3000]], { fencing });
    await run.node('B', { ...SMALL, bizTags: ['order'] }, [['order', 800]], { fencing });
    await sleep(1500);
    await run.cut(tags);
    // L boots during the cut: its tag "late" is created on the master only, and that creation is lost too.
    const l = await run.node('L', { ...SMALL, bizTags: ['order', 'late'] }, [['late', 500]], { fencing });
    await sleep(1000);
    for (const name of ['A', 'B', 'L']) await run.stopNode(name);
    await run.failOver(tags);
    const c = await run.node(
      'C',
      { ...SMALL, bizTags: ['order', 'late'] },
      [
        ['order', 3000],
        ['late', 500],
      ],
      {
        fencing,
      },
    );
    await sleep(1500);
    const results = await run.results();
    const figures = report(
      `(a) node started after the promotion, fencing ${fencing ? 'on' : 'off'}`,
      run,
      results,
      tags,
    );
    expect(l.reservations.ok).toBeGreaterThan(0);
    expect(run.replicaMaxIds.get('late')).toBe(0n); // "late" never reached the replica
    return { ...figures, c, run, results };
  };

  it(
    `(a) a node started after the promotion never repeats an ID, a tag whose creation was lost included (${ROUNDS}x)`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { duplicates, fences, c, run, results } = await shapeA(true);
        expect(duplicates).toBe(0);
        expect(fences).toBe(1); // C fenced once for both rows (and for the row created after the failover)
        expect(c.firstAfter.get('order')!.start).toBeGreaterThanOrEqual(run.primaryMaxIds.get('order')!);
        expect(c.firstAfter.get('late')!.start).toBeGreaterThan(run.primaryMaxIds.get('late')!);
        expect(results.find((r) => r.name === 'C')!.failures).toEqual([]);
        await run.dispose();
        logs.warn.length = 0;
      }
    },
    40_000 * ROUNDS,
  );

  it('(a) with fencing off, the node started after the promotion hands out IDs twice', async () => {
    const { duplicates } = await shapeA(false);
    expect(duplicates).toBeGreaterThan(0);
  }, 40_000);

  /**
   * (b) Three nodes at unequal rates run throughout; the slow one last reserved before the cut. Without WAIT
   * (`replicas: 0`), so that fencing alone is at work: with the default WAIT, the reservations of a window shorter than
   * its bound are still waiting for the replica when the master dies, and never served.
   */
  const shapeB = async (fencing: boolean) => {
    const run = await start();
    const options = { ...SMALL, step: 200, bizTags: ['order'] };
    const store = { fencing, replicas: 0 };
    await run.node('fast', options, [['order', 4000]], store);
    await run.node('medium', options, [['order', 800]], store);
    await sleep(1500);
    // The slow node boots (its one reservation reaches the replica) and needs no other for ~4 s.
    await run.node('slow', options, [['order', 40]], store);
    await run.cut(['order']);
    await sleep(800);
    await run.failOver(['order']);
    // A batch larger than what the slow node holds: it reserves now, before the others' refusals (fencing off)
    // move max_id past the lost window.
    await run.batch('slow', 'order', 500);
    await sleep(2500);
    const results = await run.results();
    const figures = report(`(b) running nodes at unequal rates, fencing ${fencing ? 'on' : 'off'}`, run, results, [
      'order',
    ]);
    return { ...figures, run };
  };

  it(
    `(b) nodes running throughout, at unequal rates, never repeat an ID and serve through it (${ROUNDS}x)`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { duplicates, fences, failures, run } = await shapeB(true);
        expect(duplicates).toBe(0);
        expect(fences).toBe(1); // the first node to reserve fenced; the others found it done
        expect(failures).toEqual([0, 0, 0]);
        expect(run.nodes.find((n) => n.name === 'slow')!.firstAfter.size).toBe(1); // it did reserve afterwards
        await run.dispose();
        logs.warn.length = 0;
      }
    },
    40_000 * ROUNDS,
  );

  it('(b) with fencing off, a running node whose last reservation reached the replica hands out IDs twice', async () => {
    const { duplicates } = await shapeB(false);
    expect(duplicates).toBeGreaterThan(0);
  }, 40_000);

  /** (c) The library's defaults: nodes before the cut, one booting during it, one after the promotion. */
  const shapeC = async (fencing: boolean) => {
    const run = await start();
    const defaults = { bizTags: ['order'] };
    await run.node('A', defaults, [['order', 2000]], { fencing });
    await run.node('B', defaults, [['order', 500]], { fencing });
    await sleep(2000);
    await run.cut(['order']);
    await run.node('X', defaults, [['order', 1000]], { fencing }); // its first segments are lost
    await sleep(1000);
    await run.failOver(['order']);
    await run.node('Y', defaults, [['order', 1000]], { fencing });
    await sleep(2000);
    const results = await run.results();
    return { ...report(`(c) library defaults, fencing ${fencing ? 'on' : 'off'}`, run, results, ['order']), run };
  };

  it(
    `(c) with the library's defaults no ID repeats, and running nodes serve through it from memory (${ROUNDS}x)`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { duplicates, failures, run } = await shapeC(true);
        expect(duplicates).toBe(0);
        expect(failures).toEqual([0, 0, 0, 0]);
        await run.dispose();
        logs.warn.length = 0;
      }
    },
    40_000 * ROUNDS,
  );

  it("(c) with the library's defaults and fencing off, a node started after the promotion hands out IDs twice", async () => {
    const { duplicates } = await shapeC(false);
    expect(duplicates).toBeGreaterThan(0);
  }, 40_000);
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
