import { describe, expect, it } from '@jest/globals';
import { MAX_ID, type LeafAllocRow, type ReservedRange, type NewTagRow } from '../store/leaf-store.js';
import { InMemoryLeafStore } from './in-memory-leaf.store.js';
import { LEAF_STORE_CONTRACT } from './leaf-store-contract.cases.js';
import { describeLeafStoreContract } from './leaf-store-contract.js';

/** Runs each case of the contract on a fresh store; resolves to the keys of the cases that failed. */
async function failedCases(make: () => InMemoryLeafStore): Promise<string[]> {
  const failed: string[] = [];
  for (const { key, run } of LEAF_STORE_CONTRACT) {
    try {
      await run(make(), `t_${key}`);
    } catch {
      failed.push(key);
    }
  }
  return failed;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Hands out (M, M+S] instead of [M, M+S). */
class OffByOne extends InMemoryLeafStore {
  override async reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    const { start, end } = await super.reserve(bizTag, step, signal);
    return { start: start + 1n, end: end + 1n };
  }
}

/** Reads max_id, waits (a round trip), then writes: concurrent reservations overlap. */
class ReadThenWrite extends InMemoryLeafStore {
  override async reserve(bizTag: string, step: number): Promise<ReservedRange> {
    const row = this.rows.get(bizTag)!;
    const start = row.maxId;
    await tick();
    row.maxId = start + BigInt(step);
    return { start, end: row.maxId };
  }
}

/** Compares tags as a case-insensitive collation does, and returns the row it finds. */
class LooseLookup extends InMemoryLeafStore {
  override async findTag(bizTag: string): Promise<LeafAllocRow | undefined> {
    const found = [...this.rows].find(([tag]) => tag.toLowerCase().trim() === bizTag.toLowerCase().trim());
    return found && { bizTag: found[0], step: found[1].step };
  }
}

/** Moves max_id to 2^63-1 before it refuses the step. */
class OverflowMoves extends InMemoryLeafStore {
  override async reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    try {
      return await super.reserve(bizTag, step, signal);
    } catch (error) {
      const row = this.rows.get(bizTag);
      if (row) row.maxId = MAX_ID;
      throw error;
    }
  }
}

/** Sets max_id back whatever it is now. */
class BlindGiveBack extends InMemoryLeafStore {
  override async giveBack(bizTag: string, firstUnused: bigint): Promise<boolean> {
    const row = this.rows.get(bizTag);
    if (row) row.maxId = firstUnused;
    return row !== undefined;
  }
}

/** Inserts or overwrites: an existing row goes back to max_id 1. */
class Upsert extends InMemoryLeafStore {
  override async createTags(tags: readonly NewTagRow[]): Promise<void> {
    for (const { tag, step, description } of tags) this.rows.set(tag, { maxId: 1n, step, description });
  }
}

/** Never looks at its signal. */
class DeafToAbort extends InMemoryLeafStore {
  override async setStep(bizTag: string, step: number): Promise<boolean> {
    return super.setStep(bizTag, step);
  }
}

describe('the LeafStore contract', () => {
  it('passes on InMemoryLeafStore', async () => {
    expect(await failedCases(() => new InMemoryLeafStore())).toEqual([]);
  });

  it.each([
    ['hands out (M, M+S]', () => new OffByOne(), ['range', 'fresh', 'concurrent']],
    ['reads then writes max_id', () => new ReadThenWrite(), ['concurrent']],
    ["finds another spelling's row", () => new LooseLookup(), ['exact']],
    ['moves max_id when it refuses an overflow', () => new OverflowMoves(), ['overflow']],
    ['gives back without compare-and-set', () => new BlindGiveBack(), ['giveback']],
    ['overwrites existing rows in createTags', () => new Upsert(), ['create']],
    ['ignores an aborted signal in setStep', () => new DeafToAbort(), ['aborted']],
  ] as const)('catches a store that %s', async (_name, make, expected) => {
    const failed = await failedCases(make);
    for (const key of expected) expect(failed).toContain(key);
  });

  it('says what it needs when the runner gives no describe/it globals', () => {
    const globals = globalThis as { afterAll?: unknown };
    const afterAll = globals.afterAll;
    delete globals.afterAll;
    try {
      expect(() => describeLeafStoreContract('x', () => ({ store: new InMemoryLeafStore() }))).toThrow(
        'describeLeafStoreContract() needs the global afterAll() of a test runner: call it at the top level of a Jest ' +
          'test file (any mode), or of a Vitest one with globals: true.',
      );
    } finally {
      globals.afterAll = afterAll;
    }
  });
});
