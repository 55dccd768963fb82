import { describe, expect, it } from '@jest/globals';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import { generatorsWith } from './id-generator.spec-helpers.js';
import { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';

const generator = generatorsWith({ bizTags: ['order'], step: 10, dynamicStep: false, threshold: 0.5 });

/** What a synchronous call threw, or undefined. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Lets the background refill land. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('nextIdSync and nextIdsSync', () => {
  it('take from the same memory as nextId, in one sequence, without a promise', async () => {
    const ids = generator(new InMemoryLeafStore());
    await ids.start();
    const sync = ids.nextIdSync('order');
    expect(typeof sync).toBe('bigint');
    expect(await ids.nextId('order')).toBe(sync + 1n);
    expect(ids.nextIdSync('order')).toBe(sync + 2n);
    expect(ids.nextIdsSync('order', 3)).toEqual([sync + 3n, sync + 4n, sync + 5n]);
  });

  it('throw drained at once when memory is empty, start the refill, and serve again once it lands', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store);
    await ids.start();
    store.hold();
    const issued = ids.nextIdsSync('order', 10); // the whole first segment; its prefetch is held
    await store.whenHeld();
    store.failNext(); // that prefetch fails: nothing is on its way now
    await settle();
    expect(store.held).toHaveLength(0);
    const error = thrown(() => ids.nextIdSync('order'));
    expect(error).toBeInstanceOf(LeafUnavailableError);
    expect(error).toMatchObject({ reason: 'drained', bizTag: 'order' });
    expect((error as Error).message).toMatch(/nextIdSync never waits/);
    await store.whenHeld(); // the refill the call started, without any await of the caller
    store.resume();
    await settle();
    expect(ids.nextIdSync('order')).toBe(issued.at(-1)! + 1n);
  });

  it('take a batch all or none: no ID is lost to a batch memory cannot fill', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store);
    await ids.start();
    store.hold();
    const first = ids.nextIdSync('order');
    expect(thrown(() => ids.nextIdsSync('order', 10))).toMatchObject({ reason: 'drained' });
    expect(ids.nextIdsSync('order', 9)).toEqual(Array.from({ length: 9 }, (_, i) => first + 1n + BigInt(i)));
    store.resume();
  });

  it('throw not-loaded for a tag met for the first time, load it in the background, then serve it', async () => {
    const store = new InMemoryLeafStore({ late: { step: 5 } });
    const ids = generator(store);
    await ids.start();
    expect(thrown(() => ids.nextIdSync('late'))).toMatchObject({ reason: 'not-loaded', bizTag: 'late' });
    await settle();
    expect(ids.nextIdSync('late')).toBe(1n);
    // A tag with no row is looked up in the background too, and then refused like nextId refuses it.
    expect(thrown(() => ids.nextIdSync('ghost'))).toMatchObject({ reason: 'not-loaded' });
    await settle();
    await expect(ids.nextId('ghost')).rejects.toBeInstanceOf(UnknownBizTagError);
  });

  it('refuse a bad count, and calls after close', async () => {
    const ids = generator(new InMemoryLeafStore());
    await ids.start();
    expect(thrown(() => ids.nextIdsSync('order', 0))).toBeInstanceOf(InvalidArgumentError);
    expect((thrown(() => ids.nextIdsSync('order', 0)) as Error).message).toMatch(/^nextIdsSync count must be/);
    await ids.close();
    expect(thrown(() => ids.nextIdSync('order'))).toMatchObject({ reason: 'shutting-down' });
  });
});
