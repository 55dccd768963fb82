import { describe, expect, it, jest } from '@jest/globals';
import { expectUnique, generatorsWith, settled } from '../id-generator.spec-helpers.js';
import { resolveLeafOptions } from '../leaf.options.js';
import { InMemoryLeafStore } from '../testing/in-memory-leaf.store.js';
import { giveBack } from './give-back.js';

const generator = generatorsWith({ bizTags: ['order'], step: 100, dynamicStep: false });

/** `giveBack`'s context on `store`, its log lines collected. */
function context(store: InMemoryLeafStore) {
  const lines: string[] = [];
  const logger = {
    log: (message: unknown) => lines.push(`log: ${String(message)}`),
    warn: (message: unknown) => lines.push(`warn: ${String(message)}`),
    error: (message: unknown) => lines.push(`error: ${String(message)}`),
  };
  const options = resolveLeafOptions({ bizTags: ['order'], reservationTimeoutMs: 500 });
  return { ctx: { store, options, logger, report: () => undefined }, lines };
}

describe('giveBack', () => {
  it('moves max_id back to the first unused ID when the tail is still the top of the row', async () => {
    const store = new InMemoryLeafStore({ order: { maxId: 301n, step: 100 } });
    const { ctx, lines } = context(store);
    expect(await giveBack(ctx, 'order', { firstUnused: 161n, end: 301n })).toBe(true);
    expect(store.rows.get('order')!.maxId).toBe(161n);
    expect(lines).toEqual(['log: Gave back 140 unused IDs of "order" (max_id 301 -> 161).']);
  });

  it('leaves the row alone, keeping the tail a gap, when another node reserved since', async () => {
    const store = new InMemoryLeafStore({ order: { maxId: 401n, step: 100 } });
    const { ctx, lines } = context(store);
    expect(await giveBack(ctx, 'order', { firstUnused: 161n, end: 301n })).toBe(false);
    expect(store.rows.get('order')!.maxId).toBe(401n);
    expect(lines).toEqual(['log: Kept the 140 unused IDs of "order" as a gap: another node reserved since.']);
  });

  it('never rejects: a store that fails leaves a gap and a warning', async () => {
    const store = new InMemoryLeafStore({ order: { maxId: 301n, step: 100 } });
    store.giveBack = () => Promise.reject(new Error('read ECONNRESET'));
    const { ctx, lines } = context(store);
    expect(await giveBack(ctx, 'order', { firstUnused: 161n, end: 301n })).toBe(false);
    expect(lines).toEqual([
      'warn: Could not give back the unused IDs of "order": Error: read ECONNRESET. They stay a gap.',
    ]);
  });

  it('gives up on a store that does not answer within reservationTimeoutMs, and aborts its call', async () => {
    jest.useFakeTimers();
    try {
      const store = new InMemoryLeafStore({ order: { maxId: 301n, step: 100 } });
      let signal: AbortSignal | undefined;
      store.giveBack = (_tag, _first, _end, given) => {
        signal = given;
        return new Promise(() => undefined);
      };
      const { ctx, lines } = context(store);
      let result: boolean | undefined;
      void giveBack(ctx, 'order', { firstUnused: 161n, end: 301n }).then((returned) => (result = returned));
      await jest.advanceTimersByTimeAsync(499);
      expect([result, signal?.aborted]).toEqual([undefined, false]);
      await jest.advanceTimersByTimeAsync(1);
      expect([result, signal?.aborted]).toEqual([false, true]);
      expect(lines[0]).toMatch(/^warn: Could not give back .*reservationTimeoutMs \(500 ms\)/);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('graceful shutdown gives the unused tail back', () => {
  it('loses no ID in a rolling restart, current and standby segment both', async () => {
    const store = new InMemoryLeafStore();
    const first = generator(store, { threshold: 0.5 });
    await first.start();
    const before = await first.nextIds('order', 160); // [1, 101) used up, standby [101, 201) in use, [201, 301) reserved
    await settled(first, 'order');
    expect(first.inspect()[0].nextReady).toBe(true);
    await first.close();
    expect(store.rows.get('order')!.maxId).toBe(161n);
    const second = generator(store, { threshold: 0.5 });
    await second.start();
    expect(await second.nextId('order')).toBe(before.at(-1)! + 1n);
  });

  it('returns nothing when another node reserved in between, and nothing is issued twice', async () => {
    const store = new InMemoryLeafStore();
    const start = async () => {
      const ids = generator(store);
      await ids.start();
      return ids;
    };
    const a = await start();
    const b = await start();
    const issued = [...(await a.nextIds('order', 10)), ...(await b.nextIds('order', 10))];
    const maxIdBefore = store.rows.get('order')!.maxId; // b reserved after a: a's tail is no longer the top
    await a.close();
    expect(store.rows.get('order')!.maxId).toBe(maxIdBefore);
    await b.close();
    const c = await start();
    issued.push(...(await c.nextIds('order', 300)));
    expectUnique(issued);
  });
});
