import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { LeafStoreError } from './errors/leaf-store.error.js';
import { generatorsWith } from './id-generator.spec-helpers.js';
import { LeafMetrics } from './prometheus/leaf.metrics.js';
import { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';

// Tags found in the table on first use are let go once idle for idleTagTimeoutMs: their tail goes back to the table,
// and what they issued stays a floor no later buffer of theirs reserves below. Fake timers move the scheduler's
// clock; promise turns and setImmediate stay real, so calls settle as they do in production.

const IDLE_MS = 1500;
const generator = generatorsWith({
  bizTags: [{ tag: 'order', step: 100 }],
  dynamicStep: false,
  checkIntervalMs: 20,
  idleTagTimeoutMs: IDLE_MS,
});

/** Waits out the idle timeout and a few scheduler ticks. */
const idleOut = () => jest.advanceTimersByTimeAsync(IDLE_MS + 100);

const served = (ids: { inspect(): Array<{ tag: string }> }) => ids.inspect().map((s) => s.tag);

describe('TagRegistry and idle tags met for the first time', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('closes an idle first-use tag, gives its tail back, and serves it again from there; configured ones stay', async () => {
    const store = new InMemoryLeafStore({ late: { step: 10 } });
    const ids = generator(store);
    await ids.start();
    expect(await ids.nextId('late')).toBe(1n);
    expect(served(ids)).toEqual(['order', 'late']);
    await jest.advanceTimersByTimeAsync(IDLE_MS - 100);
    expect(served(ids)).toEqual(['order', 'late']); // not idle for long enough yet
    await idleOut();
    expect(served(ids)).toEqual(['order']);
    expect(store.rows.get('late')!.maxId).toBe(2n); // [2, 11) back in the table
    expect(await ids.nextId('late')).toBe(2n);
    expect(served(ids)).toEqual(['order', 'late']);
  });

  it('keeps the floor of a closed tag whose tail another node took: a row moved back below it is refused', async () => {
    const store = new InMemoryLeafStore({ late: { step: 10 } });
    const ids = generator(store);
    await ids.start();
    expect(await ids.nextId('late')).toBe(1n); // this node holds [1, 11)
    await store.reserve('late', 10); // another node takes [11, 21): the tail cannot go back
    await idleOut();
    expect(served(ids)).toEqual(['order']);
    expect(store.rows.get('late')!.maxId).toBe(21n);
    store.rows.get('late')!.maxId = 1n; // an operator sets the row back
    const refused = ids.nextId('late');
    await expect(refused).rejects.toBeInstanceOf(LeafStoreError);
    await expect(refused).rejects.toThrow(/moved back/);
  });

  it('keeps the floor at the first ID given back: the range given back is served again, nothing below it', async () => {
    const store = new InMemoryLeafStore({ late: { step: 10 } });
    const ids = generator(store);
    await ids.start();
    await ids.nextIds('late', 3);
    await idleOut();
    expect(store.rows.get('late')!.maxId).toBe(4n);
    store.rows.get('late')!.maxId = 3n; // one below what was given back: 3 was issued
    await expect(ids.nextId('late')).rejects.toThrow(/moved back/);
  });

  it('makes a call that comes while the tag is closing wait for its tail to be back, then opens it anew', async () => {
    const store = new InMemoryLeafStore({ late: { step: 10 } });
    const giveBack = store.giveBack.bind(store);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    store.giveBack = async (...args) => {
      await gate;
      return giveBack(...args);
    };
    const ids = generator(store);
    await ids.start();
    await ids.nextId('late');
    await idleOut(); // closing: the tail is on its way back
    expect(served(ids)).toEqual(['order']);
    let answered = false;
    const call = ids.nextId('late').finally(() => (answered = true));
    await jest.advanceTimersByTimeAsync(100);
    expect(answered).toBe(false);
    expect(store.rows.get('late')!.maxId).toBe(11n); // nothing reserved past the tail meanwhile
    release();
    expect(await call).toBe(2n); // no gap: it continues where the closed buffer stopped
  });

  it('lets go of idle tags found on first use, gives their tails back, and keeps metrics bounded', async () => {
    const rows = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`found_${i}`, { step: 10 }]));
    const store = new InMemoryLeafStore(rows);
    const ids = generator(store, { maxTagLookups: 200 });
    await ids.start();
    const registry = new Registry();
    const metrics = new LeafMetrics(ids, { registry });
    try {
      const first = await Promise.all(Array.from({ length: 200 }, (_, i) => ids.nextId(`found_${i}`)));
      expect(first.every((id) => id === 1n)).toBe(true);
      expect(ids.inspect()).toHaveLength(201);
      await jest.advanceTimersByTimeAsync(2500);
      expect(ids.inspect().map((s) => s.tag)).toEqual(['order']);
      const series = (await registry.metrics()).split('\n').filter((line) => line.startsWith('leaf_ids_issued_total{'));
      expect(series).toHaveLength(1);
      // Each tail went back: the next call continues at 2, with no gap and no repeat.
      expect(store.rows.get('found_7')!.maxId).toBe(2n);
      expect(await ids.nextId('found_7')).toBe(2n);
    } finally {
      metrics.close();
    }
  });
});
