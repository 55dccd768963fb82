import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { IdOverflowError } from './errors/id-overflow.error.js';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { LeafStoreError } from './errors/leaf-store.error.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import { expectStrictlyIncreasing, generatorsWith } from './id-generator.spec-helpers.js';
import type { ReservationEvent } from './segment/segment.types.js';
import { MAX_ID } from './store/leaf-store.js';
import { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';

const generator = generatorsWith({ bizTags: ['order'], step: 10 });

describe('IdGenerator', () => {
  it('starts itself when called before startup, e.g. from another provider’s onModuleInit', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store);
    expect(ids.isRunning).toBe(false);
    expect(await ids.nextId('order')).toBe(1n);
    expect(ids.isRunning).toBe(true);
    expect(store.rows.get('order')).toMatchObject({ step: 10 });
  });

  it('fails startup with a typed error naming a row whose step is not positive', async () => {
    const store = new InMemoryLeafStore({ order: { step: 0 } });
    await expect(generator(store).start()).rejects.toThrow(
      new LeafStoreError(
        'leaf_alloc row "order" has step 0; a step must be a positive integer. ' +
          "Fix it with: UPDATE leaf_alloc SET step = 1000 WHERE biz_tag = 'order'.",
      ),
    );
  });

  it('turns a driver error while looking up a new tag into LeafUnavailableError', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store);
    await ids.start();
    store.findTag = () => Promise.reject(new Error('read ECONNRESET'));
    const call = ids.nextId('other');
    await expect(call).rejects.toBeInstanceOf(LeafUnavailableError);
    await expect(call).rejects.toMatchObject({ reason: 'unreachable', message: expect.stringMatching(/ECONNRESET/) });
  });

  it('refuses calls once closed, and serves the other tags while one tag fails', async () => {
    const store = new InMemoryLeafStore({ broken: { step: 5 } });
    const ids = generator(store, { bizTags: ['order', 'broken'] });
    await ids.start();
    store.rows.delete('broken');
    await ids.nextIds('broken', 5);
    await expect(ids.nextId('broken')).rejects.toThrow(/row of "broken" was deleted while it was being served/);
    expect(await ids.nextId('order')).toBe(1n);
    await ids.close();
    await expect(ids.nextId('order')).rejects.toMatchObject({ reason: 'shutting-down' });
    await expect(ids.nextIds('order', 2)).rejects.toMatchObject({ reason: 'shutting-down' });
  });

  it('logs one line when reservations start failing, naming the cause, and one when they work again', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store, { retryMinDelayMs: 5, retryMaxDelayMs: 10, waitTimeoutMs: 50, checkIntervalMs: 5 });
    await ids.start();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    try {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
      const reserve = store.reserve.bind(store);
      store.reserve = () => Promise.reject(refused);
      // What memory holds goes on being served; then calls fail.
      const held = await ids.nextIds('order', Number(ids.inspect()[0].available));
      await expect(ids.nextId('order')).rejects.toBeInstanceOf(LeafUnavailableError);
      await expect(ids.nextId('order')).rejects.toThrow(/connection refused: connect ECONNREFUSED/);
      const failures = ids.inspect()[0].consecutiveFailures;
      expect(failures).toBeGreaterThan(3); // many retries…
      const outage = warn.mock.calls.map(([message]) => String(message)).filter((m) => m.includes('"order"'));
      expect(outage).toHaveLength(1); // …one line
      expect(outage[0]).toMatch(/failed \((on-demand|prefetch)\): connection refused: connect ECONNREFUSED/);
      store.reserve = reserve;
      expect(await ids.nextId('order')).toBeGreaterThan(held.at(-1)!);
      const back = log.mock.calls.map(([message]) => String(message)).filter((m) => m.includes('works again'));
      expect(back).toHaveLength(1);
      expect(back[0]).toMatch(/after \d+ ms and \d+ failed attempt\(s\); 2 call\(s\) failed meanwhile/);
      expect(ids.inspect()[0].failedCalls).toBe(2);
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });

  it('keeps the step through an outage: failed attempts do not double it, however many there are', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store, {
      retryMinDelayMs: 2,
      retryMaxDelayMs: 4,
      waitTimeoutMs: 100,
      checkIntervalMs: 2,
      maxBatchSize: 1_000_000,
    });
    const events: ReservationEvent[] = [];
    ids.onReservation((event) => events.push(event));
    await ids.start();
    for (let i = 0; i < 5; i++) await ids.nextIds('order', Number(ids.inspect()[0].available) + 1);
    const before = events.filter((e) => e.ok).at(-1)!.step;
    const reserve = store.reserve.bind(store);
    store.reserve = () => Promise.reject(new Error('read ECONNRESET'));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await ids.nextIds('order', Number(ids.inspect()[0].available));
      // Keep callers waiting until many attempts have failed: how many fit in one waitTimeoutMs depends on the load.
      do await expect(ids.nextId('order')).rejects.toBeInstanceOf(LeafUnavailableError);
      while (events.filter((e) => !e.ok).length <= 10);
    } finally {
      warn.mockRestore();
      store.reserve = reserve;
    }
    await ids.nextId('order');
    const after = events.filter((e) => e.ok).at(-1)!.step;
    expect(after).toBeLessThanOrEqual(2 * before);
  });

  it('serves nextIds across segments', async () => {
    const ids = generator(new InMemoryLeafStore(), { bizTags: ['batch'], step: 100, dynamicStep: false });
    await ids.start();
    const batch = await ids.nextIds('batch', 250);
    expect(batch).toHaveLength(250);
    expectStrictlyIncreasing(batch);
    expect(batch[0]).toBe(1n);
    expect(batch.at(-1)).toBe(250n);
    const more = await ids.nextIds('batch', 10_000);
    expectStrictlyIncreasing([...batch, ...more]);
  });

  it('issues IDs above all of the previous run after a restart', async () => {
    const store = new InMemoryLeafStore();
    const first = generator(store, { step: 100 });
    await first.start();
    const before = await first.nextIds('order', 150);
    await first.close();
    const second = generator(store, { step: 100 }); // the next run, on the same table
    await second.start();
    const after = await second.nextId('order');
    expect(after > before.at(-1)!).toBe(true);
  });

  it('rejects an unknown tag and bad arguments with typed errors, reserving nothing', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store, { dynamicStep: false });
    await ids.start();
    await ids.nextId('order');
    const maxId = store.rows.get('order')!.maxId;
    await expect(ids.nextId('nope')).rejects.toBeInstanceOf(UnknownBizTagError);
    await expect(ids.nextId('nope')).rejects.toThrow(/Unknown biz tag "nope"/);
    for (const tag of ['', '   ', 'x'.repeat(129), 42, null, undefined] as unknown[]) {
      await expect(ids.nextId(tag as string)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(ids.nextIds(tag as string, 1)).rejects.toMatchObject({ argument: 'bizTag' });
    }
    for (const count of [0, -1, 1.5, NaN, Infinity, 10_001, '3'] as unknown[]) {
      await expect(ids.nextIds('order', count as number)).rejects.toMatchObject({
        argument: 'count',
        message: expect.stringMatching(/from 1 to 10000/),
      });
    }
    expect(store.rows.get('order')!.maxId).toBe(maxId);
    expect(store.rows.has('nope')).toBe(false);
    expect(await ids.nextId('order')).toBe(2n);
  });

  it('serves every ID below 2^63-1, shrinking the last reservation, then IdOverflowError with the row at 2^63-1', async () => {
    const nearEnd = MAX_ID - 150n;
    const store = new InMemoryLeafStore({ edge: { maxId: nearEnd, step: 100 } });
    const ids = generator(store, { bizTags: ['edge'], dynamicStep: false, threshold: 0.01 });
    await ids.start();
    const served = await ids.nextIds('edge', 100);
    expect(served[0]).toBe(nearEnd);
    expect(served.at(-1)).toBe(nearEnd + 99n);
    // 50 IDs are left, fewer than the step: the last reservation takes just those.
    const last = await ids.nextIds('edge', 50);
    expect([last[0], last.at(-1)]).toEqual([nearEnd + 100n, MAX_ID - 1n]);
    await expect(ids.nextId('edge')).rejects.toBeInstanceOf(IdOverflowError);
    await expect(ids.nextId('edge')).rejects.toThrow(/would pass 2\^63-1/);
    expect(store.rows.get('edge')!.maxId).toBe(MAX_ID);
  });
});
