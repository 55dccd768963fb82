import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { LeafStoreError } from './errors/leaf-store.error.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { IdGenerator } from './id-generator.js';
import type { ReservationEvent } from './segment/segment.types.js';
import { resolveLeafOptions, type LeafModuleOptions } from './leaf.options.js';
import { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';

const generators: IdGenerator[] = [];

function generator(store: InMemoryLeafStore, options: Partial<LeafModuleOptions> = {}) {
  const ids = new IdGenerator(resolveLeafOptions({ bizTags: ['order'], step: 10, ...options }), store);
  generators.push(ids);
  return ids;
}

describe('IdGenerator', () => {
  afterEach(async () => {
    await Promise.all(generators.splice(0).map((ids) => ids.close()));
  });

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
});
