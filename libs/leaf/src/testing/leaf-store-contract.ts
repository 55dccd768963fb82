import { randomBytes } from 'node:crypto';
import type { LeafStore } from '../store/leaf-store.js';
import { LEAF_STORE_CONTRACT } from './leaf-store-contract.cases.js';
import { LEAF_STORE_FENCE_CONTRACT } from './leaf-store-contract.fence-cases.js';

/** What `describeLeafStoreContract` runs against: the store, and how to release it after the last case. */
export interface LeafStoreUnderTest {
  /** The store to check. Its table may be shared: every case uses tags of its own, with a random suffix per run. */
  readonly store: LeafStore;
  /** Called once after the last case: close the store's clients, drop a scratch database. */
  close?(): Promise<void>;
}

/** Knobs of `describeLeafStoreContract`. */
export interface LeafStoreContractOptions {
  /** Timeout of each case and of the factory, in ms (passed as the runner's per-test timeout). Default 30,000. */
  readonly timeoutMs?: number;
}

/** The globals Jest (native ESM included) and Vitest (`globals: true`) give a test file. */
interface RunnerGlobals {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>, timeout?: number): void;
  beforeAll(body: () => Promise<void>, timeout?: number): void;
  afterAll(body: () => Promise<void>, timeout?: number): void;
}

/**
 * Declares the test cases every `LeafStore` must pass: the contract `IdGenerator` relies on to never issue an ID
 * twice. Call it at the top level of a test file with a factory of your store:
 *
 * ```ts
 * import { describeLeafStoreContract } from 'nest-leaf/testing';
 *
 * describeLeafStoreContract('MyStore on a scratch database', async () => {
 *   const store = await MyStore.connect(process.env.TEST_URL);
 *   return { store, close: () => store.disconnect() };
 * });
 * ```
 *
 * What the cases pin, each on tags of its own:
 * - `reserve(tag, S)` on a row at `max_id` M returns `[M, M+S)` and leaves M+S; a row made by `createTags` starts
 *   at 1; 50 concurrent reservations return ranges that tile the row with no overlap and no gap;
 * - a step that would pass 2^63-1 rejects with `IdOverflowError` (`maxId`, `step`) and changes nothing, so the IDs
 *   left below it can still be reserved exactly; a tag with no row rejects with `UnknownBizTagError`;
 * - `giveBack` is a compare-and-set on `max_id`; `createTags` is idempotent under concurrency and leaves existing rows
 *   alone; `insertTag` resolves false on an existing row; `setStep` resolves whether the row exists;
 * - `findTag` is exact: another spelling (case, trailing space) resolves undefined, or rejects with
 *   `UnknownBizTagError` whose `similar` names the row, but never returns that row;
 * - every method called with an aborted signal rejects and changes nothing; a reservation aborted in flight may
 *   still land (a statement the database had already run), but a later one never overlaps it;
 * - a store with `fence`: on a server that did not fail over, fencing moves nothing and reservations go on.
 *
 * The file needs nothing but the runner: it uses the global `describe`, `it`, `beforeAll` and `afterAll` (Jest in
 * any mode, Vitest with `globals: true`) and asserts with `node:assert/strict`.
 *
 * @param name shown in the suite's title: `LeafStore contract: <name>`
 * @param factory called once before the first case
 */
export function describeLeafStoreContract(
  name: string,
  factory: () => LeafStoreUnderTest | Promise<LeafStoreUnderTest>,
  options: LeafStoreContractOptions = {},
): void {
  const { describe, it, beforeAll, afterAll } = runnerGlobals();
  const timeout = options.timeoutMs ?? 30_000;
  // One prefix per run: the suite may run against a table other runs and apps use too.
  const prefix = `lsc_${randomBytes(4).toString('hex')}`;
  describe(`LeafStore contract: ${name}`, () => {
    let underTest: LeafStoreUnderTest | undefined;
    beforeAll(async () => {
      underTest = await factory();
    }, timeout);
    afterAll(async () => {
      await underTest?.close?.();
    }, timeout);
    for (const { key, title, run } of [...LEAF_STORE_CONTRACT, ...LEAF_STORE_FENCE_CONTRACT]) {
      it(
        title,
        async () => {
          if (underTest === undefined) throw new Error(`The factory of "${name}" failed: see the error of beforeAll.`);
          await run(underTest.store, `${prefix}_${key}`);
        },
        timeout,
      );
    }
  });
}

function runnerGlobals(): RunnerGlobals {
  const runner = globalThis as unknown as Partial<RunnerGlobals>;
  for (const name of ['describe', 'it', 'beforeAll', 'afterAll'] as const) {
    if (typeof runner[name] !== 'function') {
      throw new Error(
        `describeLeafStoreContract() needs the global ${name}() of a test runner: call it at the top level of a ` +
          'Jest test file (any mode), or of a Vitest one with globals: true.',
      );
    }
  }
  return runner as RunnerGlobals;
}
