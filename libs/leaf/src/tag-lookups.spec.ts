import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import { generatorsWith } from './id-generator.spec-helpers.js';
import { resolveLeafOptions } from './leaf.options.js';
import type { LeafAllocRow } from './store/leaf-store.js';
import { TagLookups } from './tag-lookups.js';
import { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';

/**
 * A store whose lookups wait until the test answers them, honouring their signal as the contract asks: an aborted
 * lookup ends `abortAfterMs` after its signal fires (a driver takes a moment to drop a connection).
 */
function slowStore(abortAfterMs = 0) {
  const store = new InMemoryLeafStore({ a: { step: 5 } });
  const pending: Array<{ tag: string; answer: () => void }> = [];
  const findTag = store.findTag.bind(store);
  store.findTag = (tag, signal) =>
    new Promise<LeafAllocRow | undefined>((resolve, reject) => {
      const abort = () => reject(signal!.reason);
      signal?.addEventListener('abort', () => (abortAfterMs > 0 ? setTimeout(abort, abortAfterMs) : abort()));
      pending.push({ tag, answer: () => resolve(findTag(tag)) });
    });
  return { store, pending };
}

function lookups(store: InMemoryLeafStore, maxTagLookups = 1000) {
  return new TagLookups(store, resolveLeafOptions({ bizTags: ['order'], maxTagLookups, reservationTimeoutMs: 500 }));
}

const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

const generator = generatorsWith({ bizTags: [{ tag: 'order', step: 100 }], dynamicStep: false });

describe('TagLookups', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs at most four lookups at once; the others start as those end', async () => {
    const { store, pending } = slowStore();
    const tags = lookups(store);
    const found = ['a', 'b', 'c', 'd', 'e', 'f'].map((tag) => tags.find(tag));
    await turns();
    expect(pending.map((p) => p.tag)).toEqual(['a', 'b', 'c', 'd']);
    pending.shift()!.answer();
    await expect(found[0]).resolves.toEqual({ bizTag: 'a', step: 5 });
    await turns();
    expect(pending.map((p) => p.tag)).toEqual(['b', 'c', 'd', 'e']);
    for (let i = 1; i < 6; i++) {
      pending.shift()!.answer();
      await turns();
    }
    expect(await Promise.all(found.slice(1))).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('shares one lookup among identical concurrent ones, and caches nothing once it ended', async () => {
    const { store, pending } = slowStore();
    const tags = lookups(store);
    const first = tags.find('a');
    expect(tags.find('a')).toBe(first);
    await turns();
    expect(pending).toHaveLength(1);
    pending.shift()!.answer();
    await first;
    const again = tags.find('a');
    expect(again).not.toBe(first);
    await turns();
    expect(pending).toHaveLength(1); // looked up again: a row may have been deleted or inserted since
    pending.shift()!.answer();
    await expect(again).resolves.toEqual({ bizTag: 'a', step: 5 });
  });

  it('refuses a new tag at once past maxTagLookups pending, but still shares a pending one', async () => {
    const { store, pending } = slowStore();
    const tags = lookups(store, 3);
    const found = ['a', 'b', 'c'].map((tag) => tags.find(tag));
    const refused = tags.find('d');
    await expect(refused).rejects.toBeInstanceOf(LeafUnavailableError);
    await expect(refused).rejects.toMatchObject({ reason: 'overloaded', bizTag: 'd' });
    await expect(refused).rejects.toThrow(/3 lookups of tags met for the first time already wait \(maxTagLookups\)/);
    expect(tags.find('b')).toBe(found[1]);
    await turns();
    pending.splice(0).forEach((p) => p.answer());
    await Promise.all(found);
    const later = tags.find('d'); // room again
    await turns();
    pending.shift()!.answer();
    await expect(later).resolves.toBeUndefined();
  });

  it('fails a lookup still waiting for its turn at reservationTimeoutMs, and frees the turns of abandoned ones', async () => {
    jest.useFakeTimers();
    const { store, pending } = slowStore(50);
    const tags = lookups(store);
    const found = ['a', 'b', 'c', 'd', 'e'].map((tag) => tags.find(tag).catch((error: unknown) => error));
    await jest.advanceTimersByTimeAsync(499);
    expect(pending.map((p) => p.tag)).toEqual(['a', 'b', 'c', 'd']);
    await jest.advanceTimersByTimeAsync(1);
    const errors = await Promise.all(found);
    expect(errors.every((e) => e instanceof LeafUnavailableError && e.reason === 'unreachable')).toBe(true);
    expect((errors[4] as Error).message).toMatch(/Could not look up "e" in the store: .*reservationTimeoutMs/);
    await jest.advanceTimersByTimeAsync(50); // the four abandoned lookups end, and their turns pass on
    expect(pending.map((p) => p.tag)).toEqual(['a', 'b', 'c', 'd']); // "e" gave up before its turn: no statement
    const again = tags.find('a');
    await jest.advanceTimersByTimeAsync(0);
    expect(pending.map((p) => p.tag)).toContain('a');
    pending.at(-1)!.answer();
    await expect(again).resolves.toEqual({ bizTag: 'a', step: 5 });
  });

  it('turns a driver error into LeafUnavailableError, and passes the library’s own errors through', async () => {
    const store = new InMemoryLeafStore();
    const tags = lookups(store);
    store.findTag = () => Promise.reject(new Error('read ECONNRESET'));
    await expect(tags.find('a')).rejects.toMatchObject({ reason: 'unreachable', cause: new Error('read ECONNRESET') });
    const collation = UnknownBizTagError.collationMatch('ORDER', 'order');
    store.findTag = () => Promise.reject(collation);
    await expect(tags.find('ORDER')).rejects.toBe(collation);
  });
});

describe('tags met for the first time, in a flood', () => {
  it('looks up a flood of unknown tags with a bounded share of the store, while a served tag keeps going', async () => {
    const store = new InMemoryLeafStore();
    // A deadline no loaded machine reaches: the test is about how many lookups run, not how fast.
    const ids = generator(store, { maxTagLookups: 200, reservationTimeoutMs: 120_000 });
    await ids.start();
    // Each lookup takes a turn of the event loop, as a query would, so unbounded lookups would pile up at once.
    let running = 0;
    let mostAtOnce = 0;
    let statements = 0;
    const findTag = store.findTag.bind(store);
    store.findTag = async (tag, signal) => {
      statements++;
      mostAtOnce = Math.max(mostAtOnce, ++running);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        return await findTag(tag, signal);
      } finally {
        running--;
      }
    };
    let served = 0;
    let serving = true;
    const load = (async () => {
      while (serving) {
        await ids.nextIds('order', 50);
        served += 50;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    // Each call's outcome as its kind only: 60,000 errors kept alive would cost more in GC than the flood itself.
    const kindOf = (error: unknown) =>
      error instanceof LeafUnavailableError
        ? `unavailable:${error.reason}`
        : error instanceof UnknownBizTagError
          ? 'UnknownBizTagError'
          : `unexpected:${String(error)}`;
    const flood = await Promise.all(
      Array.from({ length: 60_000 }, (_, i) => ids.nextId(`nobody_${i}`).then((id) => `served:${id}`, kindOf)),
    );
    serving = false;
    await load;
    const kinds = new Map<string, number>();
    for (const kind of flood) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    expect(
      [...kinds.keys()].filter((kind) => kind !== 'UnknownBizTagError' && !kind.startsWith('unavailable:')),
    ).toEqual([]);
    expect(kinds.get('UnknownBizTagError') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('unavailable:overloaded') ?? 0).toBeGreaterThan(0);
    // The served tag never failed a reservation, and the flood reached the store a bounded number of times, at most
    // four statements at once.
    const order = ids.inspect().find((s) => s.tag === 'order')!;
    expect(order.errors).toBe(0);
    expect(served).toBeGreaterThan(0);
    expect(mostAtOnce).toBeLessThanOrEqual(4);
    expect(statements).toBe(kinds.get('UnknownBizTagError'));
    expect(statements).toBeLessThan(1000);
  });
});
