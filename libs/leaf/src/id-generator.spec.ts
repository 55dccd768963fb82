import { afterEach, describe, expect, it } from '@jest/globals';
import { LeafStoreError } from './errors/leaf-store.error.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { IdGenerator } from './id-generator.js';
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
});
