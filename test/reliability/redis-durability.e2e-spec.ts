import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { LeafStoreError, UnknownBizTagError, type ReservationEvent } from 'nest-leaf';
import { RedisLeafStore, type RedisDurability } from 'nest-leaf/redis';
import { resolveLeafOptions } from '../../libs/leaf/src/leaf.options.js';
import { expectUnique, sleep } from '../../harness/assertions.js';
import { steadyLoad, type SteadyLoad } from '../support/load.js';
import { captureLogs, Generators, latencyLine, percentiles, reserveLatency } from '../support/redis.js';
import { PrivateRedis } from '../support/redis-server.js';

/** How many times Redis is killed under load; 2 in `npm test`, more in `npm run test:reliability`. */
const KILLS = Math.max(2, Number(process.env.LEAF_REDIS_KILLS ?? 2));

/**
 * Durability decides uniqueness: IDs handed out since the last write Redis kept on disk are handed out again after a
 * crash. A private redis-server is killed with SIGKILL under load: with `appendfsync always`, no range is reserved
 * twice; with nothing on disk, the restart forgets every reservation, which the running nodes refuse and a node
 * started afterwards repeats. And what the store says at startup under each setting.
 */
describe('RedisLeafStore durability (private redis-server, kill -9)', () => {
  const servers: PrivateRedis[] = [];
  const clients: Redis[] = [];
  const generators = new Generators();
  let logs: ReturnType<typeof captureLogs>;

  /** A client that reconnects within 50 ms of the restart, so the test need not wait out ioredis's backoff. */
  const client = (server: PrivateRedis, options: Parameters<PrivateRedis['client']>[0] = {}) => {
    const redis = server.client({ retryStrategy: () => 50, ...options });
    redis.on('error', () => undefined); // refused connections while the server is down
    clients.push(redis);
    return redis;
  };
  const startServer = async (args: string[]) => {
    const server = await PrivateRedis.start(args);
    servers.push(server);
    return server;
  };

  beforeEach(() => {
    logs = captureLogs();
  });

  afterEach(async () => {
    await generators.closeAll().catch(() => undefined);
    for (const redis of clients.splice(0)) redis.disconnect();
    logs.restore();
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.dispose()));
  });

  it('says at startup what a crash costs under each persistence setting, and never fails for it', async () => {
    const server = await startServer([]);
    const admin = client(server);
    const said: Record<string, RedisDurability> = {};
    const check = async (name: string, settings: string[][]) => {
      for (const [key, value] of settings) await admin.config('SET', key, value);
      const store = new RedisLeafStore(client(server));
      await store.listTags(); // the first command; the check follows it
      said[name] = await store.checkDurability();
    };
    await check('none', [['save', '']]);
    await check('rdb', [['save', '3600 1 300 100']]);
    await check('everysec', [
      ['appendonly', 'yes'],
      ['appendfsync', 'everysec'],
    ]);
    await check('no-fsync', [['appendfsync', 'no']]);
    await check('always', [['appendfsync', 'always']]);
    await admin.acl('SETUSER', 'leafapp', 'on', '>secret', '~*', '+@all', '-config');
    const limited = new RedisLeafStore(client(server, { username: 'leafapp', password: 'secret' }));
    await limited.createTags(resolveLeafOptions({ bizTags: ['x'], step: 10 }).bizTags);
    said.acl = await limited.checkDurability();
    expect(await limited.reserve('x', 10)).toEqual({ start: 1n, end: 11n }); // the store works all the same

    expect(Object.fromEntries(Object.entries(said).map(([name, d]) => [name, d.persistence]))).toEqual({
      none: 'none',
      rdb: 'rdb-snapshots',
      everysec: 'aof-everysec',
      'no-fsync': 'aof-no-fsync',
      always: 'aof-always',
      acl: 'unknown',
    });
    expect(said.none.message).toMatch(/nothing on disk.*a node started afterwards creates them again at 1/);
    expect(said.rdb.message).toMatch(/RDB snapshots only \(save "3600 1 300 100", appendonly no\)/);
    expect(said.everysec.message).toMatch(/up to about 1 s of reservations/);
    expect(said['no-fsync'].message).toMatch(/about 30 s on Linux/);
    expect(said.always.message).toMatch(/no ID repeats after a restart/);
    expect(said.acl.message).toMatch(/^Could not read the persistence settings of Redis 127\.0\.0\.1:\d+ \(NOPERM/);
    // "always" is good news (log); every other one is a warning.
    expect(logs.log).toContain(said.always.message);
    for (const name of ['none', 'rdb', 'everysec', 'no-fsync', 'acl']) expect(logs.warn).toContain(said[name].message);
    for (const [name, d] of Object.entries(said)) process.stdout.write(`[durability] ${name}: ${d.message}\n`);
  });

  it(
    `appendonly yes + appendfsync always: kill -9 ${KILLS} times under load, restart, and no range or ID is handed out twice`,
    async () => {
      const server = await startServer(['--appendonly', 'yes', '--appendfsync', 'always']);
      const ranges: { node: number; start: bigint; end: bigint }[] = [];
      const failedReservations: string[] = [];
      let inFlight = 0;
      const options = {
        bizTags: ['order'],
        step: 25,
        dynamicStep: false,
        reservationTimeoutMs: 1500,
        waitTimeoutMs: 5000,
      };
      const loads: SteadyLoad[] = [];
      const startNode = async () => {
        const store = new RedisLeafStore(client(server));
        const reserve = store.reserve.bind(store);
        store.reserve = (tag, step, signal) => {
          inFlight++;
          const pending = reserve(tag, step, signal);
          pending.finally(() => inFlight--).catch(() => undefined);
          return pending;
        };
        const ids = await generators.start(store, options);
        const node = loads.length;
        ids.onReservation((event: ReservationEvent) => {
          if (event.ok && event.range) ranges.push({ node, ...event.range });
          else failedReservations.push(String((event.error as Error)?.message ?? event.error).slice(0, 80));
        });
        loads.push(steadyLoad(ids, 'order', { rate: 8000, concurrency: 16 }));
      };
      const crash = async (pauseFirst: boolean) => {
        if (pauseFirst) {
          // Redis holds the reservations it receives from now on: the kill is sure to meet some in flight.
          await client(server).client('PAUSE', 5000, 'WRITE');
          await sleep(100);
        }
        const caught = { inFlight, reservations: ranges.length };
        await server.kill();
        await sleep(500);
        await server.start(); // replays the AOF
        return caught;
      };

      for (let i = 0; i < 3; i++) await startNode();
      await sleep(2500);
      const first = await crash(false); // whatever is in flight at that instant
      await startNode(); // a node that boots after the crash, as a rolling deploy would start one
      await sleep(2500);
      const second = await crash(true);
      // npm run test:reliability kills it more often (LEAF_REDIS_KILLS), alternating plain and paused kills.
      for (let kill = 2; kill < KILLS; kill++) {
        await sleep(2500);
        await crash(kill % 2 === 1);
      }
      await sleep(2500);
      const results = await Promise.all(loads.map((load) => load.stop()));
      const ids = results.flatMap((result) => result.ids);

      expect(first.reservations).toBeGreaterThan(100);
      expect(second.inFlight).toBeGreaterThan(0);
      expect(ranges.length - second.reservations).toBeGreaterThan(100);
      expectUnique(ids);
      // Stronger than the IDs: no two reservations, on any node, before or after either crash, overlap.
      const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : 1));
      const overlaps = sorted.filter((range, i) => i > 0 && range.start < sorted[i - 1].end);
      expect(overlaps).toEqual([]);
      const maxId = BigInt((await client(server).hget('leaf_alloc:order', 'max_id'))!);
      expect(maxId).toBeGreaterThanOrEqual(sorted[sorted.length - 1].end);
      const failures = results.flatMap((result) => result.failures);
      process.stdout.write(
        `[durability] always: ${ids.length} IDs by 4 nodes, ${ranges.length} reservations, ${KILLS} kills ` +
          `(${first.inFlight} and ${second.inFlight} reservations in flight), 0 duplicates, 0 overlapping ranges; ` +
          `${failedReservations.length} reservations and ${failures.length} calls failed while Redis was down ` +
          `${JSON.stringify([...new Set(failedReservations)])}\n`,
      );
    },
    30_000 + KILLS * 4000,
  );

  it('no persistence: after kill -9 and a restart the hash is gone; running nodes refuse, a new node repeats IDs', async () => {
    const server = await startServer(['--appendonly', 'no', '--save', '']);
    const options = {
      bizTags: ['order'],
      step: 100,
      dynamicStep: false,
      reservationTimeoutMs: 1000,
      waitTimeoutMs: 2000,
    };
    const a = await generators.start(new RedisLeafStore(client(server)), options);
    const issuedByA = await a.nextIds('order', 150); // [1, 101) and [101, 201)
    expect(issuedByA[0]).toBe(1n);

    await server.kill();
    await server.start(); // empty
    expect(await client(server).exists('leaf_alloc:order')).toBe(0);
    // A serves what it holds, then its next reservation finds no hash: it refuses rather than start again at 1.
    const drained = await a.nextIds('order', 50);
    const refused = a.nextIds('order', 1);
    await expect(refused).rejects.toBeInstanceOf(UnknownBizTagError);
    await expect(refused).rejects.toThrow(/was deleted while it was being served/);

    // B boots after the restart: createMissingTags makes the hash again at max_id 1, and B hands out 1, 2, 3…
    const b = await generators.start(new RedisLeafStore(client(server)), options);
    const issuedByB = await b.nextIds('order', 50);
    expect(issuedByB[0]).toBe(1n);
    const seen = new Set([...issuedByA, ...drained]);
    const repeated = issuedByB.filter((id) => seen.has(id));
    expect(repeated).toHaveLength(50);

    // A retries (after its backoff) and meets the recreated hash: [101, 201) lies below what it issued, so it
    // refuses that range too.
    let error: unknown;
    for (let i = 0; i < 40 && !(error instanceof LeafStoreError); i++) {
      error = await a.nextId('order').then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof LeafStoreError)) await sleep(100);
    }
    expect(error).toBeInstanceOf(LeafStoreError);
    expect(String(error)).toMatch(/moved back: a reservation returned \[101, 201\)/);
    process.stdout.write(
      `[durability] none: after the restart node A refused (UnknownBizTagError, then "moved back"); node B, started ` +
        `afterwards, handed out ${repeated.length} of its first 50 IDs a second time (1..50)\n`,
    );
  });

  it('measures what appendfsync always costs a reservation here (one at a time)', async () => {
    const server = await startServer(['--appendonly', 'yes', '--appendfsync', 'always']);
    const admin = client(server);
    const store = new RedisLeafStore(client(server));
    await store.createTags(resolveLeafOptions({ bizTags: ['lat'] }).bizTags);
    const always = await reserveLatency(store, 'lat', 1000);
    await admin.config('SET', 'appendfsync', 'everysec');
    const everysec = await reserveLatency(store, 'lat', 1000);
    await admin.config('SET', 'appendonly', 'no');
    const none = await reserveLatency(store, 'lat', 1000);
    process.stdout.write(
      `[latency] appendfsync always: ${latencyLine(always)}\n` +
        `[latency] appendfsync everysec: ${latencyLine(everysec)}\n` +
        `[latency] appendonly no: ${latencyLine(none)}\n`,
    );
    expect(percentiles(always).p50).toBeLessThan(100);
  });
});
