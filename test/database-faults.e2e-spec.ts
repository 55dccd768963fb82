import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  IdGenerator,
  LeafUnavailableError,
  type LeafModuleOptions,
  type LeafTagSnapshot,
  type ReservationEvent,
} from 'nest-leaf';
import { startDemo, type RunningDemo } from './demo/support/demo-app.js';
import { expectStrictlyIncreasing, expectUnique, sleep } from './support/assertions.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startLeafApp, type LeafApp } from '../support/leaf-app.js';
import { openLoad, quantile, retainedHeap, steadyLoad } from './support/load.js';
import { freshDatabase, MYSQL, mysqlDemoEnv, type TestDatabase } from '../support/mariadb.js';

/** How long the database stays cut; LEAF_CUT_SECONDS makes it longer on demand. */
const CUT_MS = 1000 * Number(process.env.LEAF_CUT_SECONDS ?? 30);

/** A Nest app whose DataSource reaches MariaDB only through `proxy`. */
async function startBehind(proxy: FaultProxy, database: string, options: LeafModuleOptions): Promise<LeafApp> {
  return startLeafApp(database, options, { host: proxy.host, port: proxy.port, connectTimeout: 2_000 });
}

const snapshotOf = (ids: IdGenerator, tag: string): LeafTagSnapshot => ids.inspect().find((s) => s.tag === tag)!;
const report = (lines: string[]) => process.stdout.write(`\n${lines.map((line) => `  ${line}`).join('\n')}\n`);

describe('database faults between the library and MariaDB', () => {
  let db: TestDatabase;
  let proxy: FaultProxy;
  let node: LeafApp | undefined;
  let demo: RunningDemo | undefined;

  beforeAll(async () => {
    db = await freshDatabase('faults');
  });
  afterEach(async () => {
    proxy?.restore();
    await node?.close();
    await demo?.close();
    node = demo = undefined;
    await proxy?.close();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('at 30 ms each way, a steady load never waits on the database', async () => {
    proxy = await FaultProxy.start({ target: MYSQL, latencyMs: 30 });
    node = await startBehind(proxy, db.name, { bizTags: ['far'] });
    const { ids } = node;

    const load = steadyLoad(ids, 'far', { rate: 20_000, concurrency: 16 });
    // The first segment has the configured step, 1000 IDs or 50 ms at this rate: less than a round trip.
    await sleep(1_000);
    const warmUp = snapshotOf(ids, 'far');
    await sleep(10_000);
    const { ids: issued, latencies, failures } = await load.stop();

    const far = snapshotOf(ids, 'far');
    report([
      `62 ms RTT: ${issued.length} IDs in 11 s, ${far.reservations} reservations, step now ${far.step}, ` +
        `waits ${warmUp.waits} in the first second, ${far.waits - warmUp.waits} after`,
      `nextId latency ms: p50 ${quantile(latencies, 0.5).toFixed(4)}, p99 ${quantile(latencies, 0.99).toFixed(4)}, ` +
        `p999 ${quantile(latencies, 0.999).toFixed(4)}, max ${latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(2)}`,
    ]);
    expect(failures).toEqual([]);
    expect(far.reservations).toBeGreaterThan(1);
    // The library's own count of calls that found memory empty and had to wait for a reservation.
    expect(far.waits - warmUp.waits).toBe(0);
    expectUnique(issued);
    expectStrictlyIncreasing(issued);
  });

  it('cut for 30 s: serves from memory, then fails fast and typed, stays bounded, and recovers', async () => {
    proxy = await FaultProxy.start({ target: MYSQL });
    demo = await startDemo({ ...mysqlDemoEnv(db.name), DB_HOST: proxy.host, DB_PORT: String(proxy.port), LEAF_STEP: '200' });
    const http = request(demo.url);
    const ids = demo.app.get(IdGenerator);
    const waitTimeoutMs = 3000; // the library's default, which the demo keeps
    const rate = 2_000;

    // Calls keep arriving at this rate however long earlier ones wait, as requests do.
    const load = openLoad(ids, 'order', { rate });
    await sleep(2_000);
    await http.get('/health/ready').expect(200);

    proxy.cut();
    load.phase('cut');
    const cutAt = performance.now();
    // Whatever is in memory goes on being served: drain it in batches, as a burst of traffic would.
    const inMemory = snapshotOf(ids, 'order').available;
    const idsBeforeCut = load.ids.length;
    const drained: bigint[] = [];
    for (;;) {
      try {
        // No more than memory holds: a batch that has to wait for the rest fails whole, and its IDs are lost.
        const count = Math.min(Number(snapshotOf(ids, 'order').available), 10_000);
        if (count > 0) drained.push(...(await ids.nextIds('order', count)));
        else drained.push(await ids.nextId('order'));
      } catch (error) {
        expect(error).toBeInstanceOf(LeafUnavailableError);
        break;
      }
    }
    const servedFromMemory = load.ids.length - idsBeforeCut + drained.length;
    expect(drained.length).toBeGreaterThan(0);
    expect(BigInt(servedFromMemory)).toBeLessThanOrEqual(inMemory);

    let heapEarly = 0;
    let maxWaiting = 0;
    const ready: number[] = [];
    while (performance.now() - cutAt < CUT_MS) {
      await sleep(1_000);
      maxWaiting = Math.max(maxWaiting, snapshotOf(ids, 'order').waiting);
      if (heapEarly === 0 && performance.now() - cutAt > 5_000) heapEarly = retainedHeap();
      ready.push((await http.get('/health/ready')).status);
    }
    const heapLate = retainedHeap();

    proxy.restore();
    load.phase('restored');
    const restoredAt = performance.now();
    let recoveredAt = 0;
    while (recoveredAt === 0 && performance.now() - restoredAt < 10_000) {
      try {
        drained.push(await ids.nextId('order'));
        recoveredAt = performance.now();
      } catch {
        await sleep(10);
      }
    }
    await sleep(200);
    load.phase('recovered');
    await sleep(1_000);
    await load.stop();
    await http.get('/health/ready').expect(200);

    const cut = load.phases.get('cut')!;
    report([
      `cut ${CUT_MS / 1000} s at ${rate} calls/s: ${servedFromMemory} IDs served from memory after the cut, then ${cut.failures} of ${cut.calls} calls failed`,
      `slowest failure ${cut.slowestFailureMs.toFixed(0)} ms (waitTimeoutMs ${waitTimeoutMs}), ` +
        `most callers waiting at once ${maxWaiting}, retained heap ${((heapLate - heapEarly) / 1024).toFixed(0)} KiB apart`,
      `readiness during the cut: ${ready.join(' ')}; IDs again ${(recoveredAt - restoredAt).toFixed(0)} ms after the restore`,
    ]);

    expect(cut.failures).toBeGreaterThan(0);
    expect([...cut.errorTypes]).toEqual([LeafUnavailableError]);
    expect(cut.slowestFailureMs).toBeLessThan(waitTimeoutMs + 500);
    // Nothing piles up: a caller waits waitTimeoutMs at most, so the queue holds about rate × waitTimeoutMs
    // however long the outage lasts, and what the heap retains does not grow with it.
    expect(maxWaiting).toBeLessThanOrEqual((rate * (waitTimeoutMs + 1000)) / 1000);
    expect(heapLate - heapEarly).toBeLessThan(8 * 1024 * 1024);
    expect(ready.at(-1)).toBe(503);
    expect(recoveredAt).toBeGreaterThan(0);
    expect(recoveredAt - restoredAt).toBeLessThan(2_500);
    const recovered = load.phases.get('recovered')!;
    expect(recovered.calls).toBeGreaterThan(0);
    expect(recovered.failures).toBe(0);

    expectUnique([...load.ids, ...drained]);
  }, CUT_MS + 60_000);

  it('stall: the reservation times out, is retried on a fresh connection, and no range is used twice', async () => {
    proxy = await FaultProxy.start({ target: MYSQL });
    node = await startBehind(proxy, db.name, {
      bizTags: ['stall'],
      step: 100,
      dynamicStep: false,
      reservationTimeoutMs: 500,
      waitTimeoutMs: 10_000,
    });
    const { ids } = node;
    const events: ReservationEvent[] = [];
    ids.onReservation((event) => events.push(event));
    const first = snapshotOf(ids, 'stall').current!;
    const issued = await ids.nextIds('stall', 50);
    const acceptedBefore = proxy.stats.accepted;

    // The next reservation goes out into the stall; its bytes are held, not lost.
    proxy.stall();
    const waiting = ids.nextIds('stall', 200);
    await sleep(1_500);
    expect(events.some((event) => !event.ok && String(event.error).includes('reservationTimeoutMs'))).toBe(true);
    proxy.restore(); // the abandoned UPDATE now reaches the server, and its range must stay unused
    issued.push(...(await waiting));
    issued.push(...(await ids.nextIds('stall', 300)));
    await sleep(200);

    const used = [first, ...events.filter((event) => event.ok).map((event) => event.range!)];
    const reservedByUs = used.reduce((sum, range) => sum + (range.end - range.start), 0n);
    const maxId = (await db.maxId('stall'))!;
    const abandoned = maxId - 1n - reservedByUs;
    report([
      `stall: ${events.filter((e) => !e.ok).length} reservation(s) timed out, ${proxy.stats.accepted - acceptedBefore} new connection(s), ` +
        `${used.length} ranges used, ${abandoned} IDs abandoned by the statement that landed late`,
    ]);

    expect(proxy.stats.accepted).toBeGreaterThan(acceptedBefore);
    // The stalled statement did land (max_id moved past what this node used), and none of its IDs was issued.
    expect(abandoned).toBeGreaterThanOrEqual(100n);
    expectUnique(issued);
    expectStrictlyIncreasing(issued);
    for (const id of issued) expect(used.some((range) => id >= range.start && id < range.end)).toBe(true);
    const sorted = [...used].sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].start).toBeGreaterThanOrEqual(sorted[i - 1].end);
  });
});
