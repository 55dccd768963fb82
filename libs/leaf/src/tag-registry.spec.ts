import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { LeafStoreError } from './errors/leaf-store.error.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import { generatorsWith, recordReservations, settled, tagSnapshot } from './id-generator.spec-helpers.js';
import { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';

// The tags a generator serves (TagRegistry), through a real generator on the in-memory store: the rows made at
// boot, steps re-read from the table, and tags found in the table on first use. Idle first-use tags are in
// tag-registry.idle.spec.ts.

const generator = generatorsWith({ bizTags: ['order'], step: 10, dynamicStep: false });

/** Nest's warnings while `run` runs, as text. */
async function warnings(run: () => Promise<unknown>): Promise<string[]> {
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  try {
    await run();
    return warn.mock.calls.map(([message]) => String(message));
  } finally {
    warn.mockRestore();
  }
}

describe('TagRegistry at boot', () => {
  it('creates the missing rows of configured tags with their step and description, and leaves the others be', async () => {
    const store = new InMemoryLeafStore({ user: { maxId: 500n, step: 7 } });
    const ids = generator(store, {
      bizTags: ['order', { tag: 'user', step: 50 }, { tag: 'invoice', step: 20, description: 'invoice numbers' }],
    });
    const warned = await warnings(() => ids.start());
    // Each row moved by its first segment, reserved before the generator serves.
    expect(Object.fromEntries(store.rows)).toEqual({
      user: { maxId: 507n, step: 7, description: null },
      order: { maxId: 11n, step: 10, description: null },
      invoice: { maxId: 21n, step: 20, description: 'invoice numbers' },
    });
    expect(warned).toEqual([
      '"user" is configured with step 50 but its row in the memory store says 7; the row wins. To change it: ' +
        'LeafAdmin.setStep("user", 50).',
    ]);
    expect(tagSnapshot(ids, 'user')).toMatchObject({ configured: true, baseStep: 7, step: 7 });
    expect(await ids.nextId('user')).toBe(500n);
    expect(await ids.nextId('invoice')).toBe(1n);
  });

  it('refuses to start with createMissingTags off, naming the missing rows, and creates none', async () => {
    const store = new InMemoryLeafStore({ order: { step: 10 } });
    const ids = generator(store, { bizTags: ['order', 'user', 'invoice'], createMissingTags: false });
    await expect(ids.start()).rejects.toThrow(
      new LeafStoreError(
        'leaf_alloc has no row for "user", "invoice" and createMissingTags is off. ' +
          'Insert the rows, or turn createMissingTags on.',
      ),
    );
    expect([...store.rows.keys()]).toEqual(['order']);
    expect(store.reserveCalls).toBe(0);
  });

  it('fails startup with LeafStoreError, saying what to check, when the table cannot be read', async () => {
    const store = new InMemoryLeafStore();
    store.listTags = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:3306'));
    const failure = generator(store, { bootTimeoutMs: 0 }).start();
    await expect(failure).rejects.toBeInstanceOf(LeafStoreError);
    await expect(failure).rejects.toThrow(
      'Could not read the tags from the memory store at startup: connect ECONNREFUSED 127.0.0.1:3306. Check that ' +
        'the memory store is up and reachable from this process.',
    );
  });

  it('retries what fails for a while within bootTimeoutMs, every step of the boot, and what cannot be cured not at all', async () => {
    const store = new InMemoryLeafStore({ order: { step: 10 } });
    const failing = (times: number, method: 'listTags' | 'createTags' | 'reserve') => {
      const real = store[method].bind(store) as (...args: never[]) => Promise<unknown>;
      let left = times;
      (store as unknown as Record<string, unknown>)[method] = (...args: never[]) =>
        left-- > 0 ? Promise.reject(new Error(`${method}: deadlock found (1213)`)) : real(...args);
    };
    failing(2, 'listTags');
    failing(2, 'createTags');
    failing(3, 'reserve');
    const ids = generator(store, { bizTags: ['order', 'user'], retryMinDelayMs: 1, retryMaxDelayMs: 5 });
    await ids.start();
    expect([await ids.nextId('order'), await ids.nextId('user')]).toEqual([1n, 1n]);

    const permanent = new InMemoryLeafStore();
    let reads = 0;
    permanent.listTags = () => (reads++, Promise.reject(new LeafStoreError('leaf_alloc does not exist')));
    await expect(generator(permanent, { retryMinDelayMs: 1 }).start()).rejects.toThrow('leaf_alloc does not exist');
    expect(reads).toBe(1);

    const down = new InMemoryLeafStore();
    let tries = 0;
    down.listTags = () => (tries++, Promise.reject(new Error('connect ECONNREFUSED')));
    const options = { bootTimeoutMs: 60, retryMinDelayMs: 5, retryMaxDelayMs: 10 };
    await expect(generator(down, options).start()).rejects.toThrow(
      /^Could not read the tags from the memory store at startup \(retried for up to bootTimeoutMs, 60 ms\)/,
    );
    expect(tries).toBeGreaterThan(2);
  });
});

describe('TagRegistry refreshing steps', () => {
  it('applies a step changed in the table from the next reservation, to configured and first-use tags', async () => {
    const store = new InMemoryLeafStore({ late: { step: 5 } });
    const ids = generator(store);
    const events = recordReservations(ids);
    await ids.start();
    await ids.nextId('late');
    store.rows.get('order')!.step = 40; // an operator's UPDATE
    store.rows.get('late')!.step = 15;
    expect(tagSnapshot(ids, 'order').baseStep).toBe(10); // nothing read yet
    await ids.refreshTags();
    expect(tagSnapshot(ids, 'order').baseStep).toBe(40);
    expect(tagSnapshot(ids, 'late').baseStep).toBe(15);
    await ids.nextIds('order', 10); // the startup segment; the prefetch started at its threshold takes the new step
    await ids.nextIds('late', 5);
    await settled(ids, 'order');
    await settled(ids, 'late');
    expect(events.filter((e) => e.ok).map((e) => `${e.tag}:${e.step}`)).toEqual([
      'order:10',
      'late:5',
      'order:40',
      'late:15',
    ]);
  });

  it('keeps the step in use, with a warning, when the table holds a step that is not a positive integer', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store);
    const events = recordReservations(ids);
    await ids.start();
    store.rows.get('order')!.step = 0;
    const warned = await warnings(() => ids.refreshTags());
    expect(warned).toEqual(['leaf_alloc row "order" has step 0; keeping the step in use.']);
    expect(tagSnapshot(ids, 'order').baseStep).toBe(10);
    await ids.nextIds('order', 10);
    await settled(ids, 'order');
    expect(events.map((e) => e.step)).toEqual([10, 10]);
  });

  it('re-reads the table on its own every tagRefreshIntervalMs', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      const store = new InMemoryLeafStore();
      const ids = generator(store, { tagRefreshIntervalMs: 1000 });
      await ids.start();
      store.rows.get('order')!.step = 25;
      await jest.advanceTimersByTimeAsync(999);
      expect(tagSnapshot(ids, 'order').baseStep).toBe(10);
      await jest.advanceTimersByTimeAsync(1);
      expect(tagSnapshot(ids, 'order').baseStep).toBe(25);
      await ids.close();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('TagRegistry and tags met for the first time', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('looks a new tag up once for all its concurrent callers, and serves them in the order they called', async () => {
    const store = new InMemoryLeafStore({ late: { step: 10 } });
    const ids = generator(store);
    await ids.start();
    const findTag = jest.spyOn(store, 'findTag');
    const calls = [...Array.from({ length: 50 }, () => ids.nextId('late')), ids.nextIds('late', 5)];
    const [single, batch] = [(await Promise.all(calls.slice(0, 50))) as bigint[], await calls[50]];
    expect(single).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
    expect(batch).toEqual([51n, 52n, 53n, 54n, 55n]);
    expect(findTag).toHaveBeenCalledTimes(1);
    expect(tagSnapshot(ids, 'late')).toMatchObject({ configured: false, baseStep: 10 });
    await ids.nextId('late');
    expect(findTag).toHaveBeenCalledTimes(1); // served from now on, never looked up again
  });

  it('refuses a tag without a row with UnknownBizTagError, and looks it up again on the next call', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store);
    await ids.start();
    const findTag = jest.spyOn(store, 'findTag');
    await expect(ids.nextId('nope')).rejects.toBeInstanceOf(UnknownBizTagError);
    await expect(ids.nextIds('nope', 3)).rejects.toThrow(new UnknownBizTagError('nope'));
    expect(findTag).toHaveBeenCalledTimes(2);
    expect(store.rows.has('nope')).toBe(false); // only configured tags get a row made
    expect(ids.inspect().map((s) => s.tag)).toEqual(['order']);
  });

  it('serves a tag inserted into the table at runtime', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store, { dynamicStep: true });
    await ids.start();
    await expect(ids.nextId('late')).rejects.toBeInstanceOf(UnknownBizTagError);
    await store.insertTag({ bizTag: 'late', maxId: 77n, step: 10, description: null });
    expect(await ids.nextId('late')).toBe(77n);
    expect(ids.inspect().find((state) => state.tag === 'late')).toMatchObject({ configured: false, baseStep: 10 });
  });
});
