import { describe, expect, it, jest } from '@jest/globals';
import {
  expectStrictlyIncreasing,
  expectUnique,
  generatorsWith,
  recordReservations,
} from './id-generator.spec-helpers.js';
import { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';

/*
 * Many callers at once, on the in-memory store: how the generator pools their demand and keeps IDs unique and in
 * order is its own doing, whatever the engine. What a real database's latency adds is in test/generator/id-generator.e2e-spec.ts.
 */

const generator = generatorsWith({ bizTags: ['order'] });

describe('IdGenerator under concurrent load', () => {
  it('keeps 200 concurrent loops over 3 tags unique and, per tag, increasing in the order issued', async () => {
    const tags = ['a', 'b', 'c'];
    const ids = generator(new InMemoryLeafStore(), { bizTags: tags, step: 50 });
    await ids.start();
    const issued: Record<string, bigint[]> = { a: [], b: [], c: [] };
    await Promise.all(
      Array.from({ length: 200 }, async (_, loop) => {
        for (let i = 0; i < 50; i++) {
          const tag = tags[(loop + i) % 3];
          issued[tag].push(await ids.nextId(tag));
        }
      }),
    );
    expect(tags.reduce((sum, tag) => sum + issued[tag].length, 0)).toBe(10_000);
    for (const tag of tags) expectStrictlyIncreasing(issued[tag]);
    expect(ids.inspect().reduce((sum, state) => sum + state.waits, 0)).toBeGreaterThan(0); // the small step was felt
  });

  it('makes one reservation for 10,000 concurrent calls on an empty buffer', async () => {
    const store = new InMemoryLeafStore({ lazy: { maxId: 1n, step: 100 } });
    const ids = generator(store);
    await ids.start();
    const events = recordReservations(ids);
    const all = await Promise.all(Array.from({ length: 10_000 }, () => ids.nextId('lazy')));
    expectUnique(all);
    expectStrictlyIncreasing(all);
    const onDemand = events.filter((event) => event.trigger === 'on-demand');
    expect(onDemand).toHaveLength(1);
    expect(onDemand[0].step).toBe(10_000);
    expect(all[0]).toBe(1n);
  });

  it('serves 1,000 concurrent callers on step 10 without an error (Leaf #143)', async () => {
    const ids = generator(new InMemoryLeafStore(), { bizTags: ['tiny'], step: 10, dynamicStep: false });
    await ids.start();
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, async () => {
        const mine: bigint[] = [];
        for (let i = 0; i < 5; i++) mine.push(await ids.nextId('tiny'));
        return mine;
      }),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const all = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    expect(all).toHaveLength(5000);
    expectUnique(all);
  });

  it('grows the step under load and shrinks it when the load stops', async () => {
    // Fake timers hold the monotonic clock still while the IDs go out (no rate is measured, so Leaf's doubling alone
    // grows the step) and then move it past twice segmentDurationMs in one step.
    jest.useFakeTimers();
    try {
      const ids = generator(new InMemoryLeafStore(), { bizTags: ['dyn'], step: 100, segmentDurationMs: 300 });
      await ids.start();
      const events = recordReservations(ids);
      for (let i = 0; i < 1500; i++) await ids.nextId('dyn');
      await jest.advanceTimersByTimeAsync(50);
      const grown = events.map((event) => event.step);
      expect(Math.max(...grown)).toBeGreaterThanOrEqual(400);
      await jest.advanceTimersByTimeAsync(1500);
      // The step of the last reservation; the rate floor may have made it odd, so halving rounds down.
      const stepBefore = events.at(-1)!.step;
      events.length = 0;
      while (events.length === 0) await ids.nextIds('dyn', 50);
      expect(events[0].step).toBe(Math.max(Math.floor(stepBefore / 2), 100));
      await ids.close();
    } finally {
      jest.useRealTimers();
    }
  });
});
