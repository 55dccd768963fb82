import assert from 'node:assert/strict';
import type { FenceSkips, LeafStore } from '../store/leaf-store.js';

/**
 * The contract's cases for a store that implements `fence` (a store on a replicated server); a store without it
 * passes them as they are (it has nothing to fence). Kept apart from `leaf-store-contract.cases.ts`, which every
 * store runs whole.
 */
export const LEAF_STORE_FENCE_CONTRACT: readonly {
  readonly key: string;
  readonly title: string;
  run(store: LeafStore, tag: string): Promise<void>;
}[] = [
  {
    key: 'fence_idle',
    title:
      'fence() on a server that did not fail over moves nothing (fenced false, rows 0), names the server, and ' +
      'reservations go on where they were (stores with fence())',
    async run(store, tag) {
      if (store.fence === undefined) return;
      assert.equal(await store.insertTag({ bizTag: tag, maxId: 1000n, step: 100, description: null }), true);
      assert.deepEqual(await store.reserve(tag, 100), { start: 1000n, end: 1100n });
      const skips: FenceSkips = { defaultSkip: 1_000_000n, tags: new Map([[tag, 5_000_000n]]) };
      // The first fence of a table that never had a marker makes one, moving nothing; the second finds it.
      for (const attempt of ['first', 'second']) {
        const outcome = await store.fence(skips);
        assert.equal(outcome.fenced, false, `the ${attempt} fence of a server that did not fail over fences nothing`);
        assert.equal(outcome.rows, 0, `the ${attempt} fence moves no row`);
        assert.ok(typeof outcome.identity === 'string' && outcome.identity.length > 0, 'identity names the server');
      }
      assert.deepEqual(await store.reserve(tag, 100), { start: 1100n, end: 1200n });
    },
  },
];
