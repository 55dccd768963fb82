import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import {
  MAX_ID,
  type LeafStore,
  type NewLeafAllocRow,
  type ReservedRange,
  type NewTagRow,
} from '../store/leaf-store.js';

/** One case of the contract: `run` gets the store and a tag no other case (or run) uses. */
interface ContractCase {
  readonly key: string;
  readonly title: string;
  run(store: LeafStore, tag: string): Promise<void>;
}

/** The cases `describeLeafStoreContract` declares, in order. */
export const LEAF_STORE_CONTRACT: readonly ContractCase[] = [
  {
    key: 'range',
    title: 'reserve(tag, S) on a row at max_id M returns [M, M+S) as bigints and moves max_id to M+S',
    async run(store, tag) {
      assert.ok(typeof store.engine === 'string' && store.engine.length > 0, 'engine names the engine, for logs');
      assert.equal(await store.insertTag(row(tag, 1000n, 100)), true);
      expectRange(await store.reserve(tag, 100), 1000n, 1100n);
      expectRange(await store.reserve(tag, 50), 1100n, 1150n);
    },
  },
  {
    key: 'fresh',
    title: 'a row made by createTags starts at 1, with the step it was created with',
    async run(store, tag) {
      await store.createTags([spec(tag, 10)]);
      expectRow(await store.findTag(tag), tag, 10);
      expectRange(await store.reserve(tag, 10), 1n, 11n);
    },
  },
  {
    key: 'concurrent',
    title: '50 concurrent reservations get ranges of their own size that tile the row, no overlap and no gap',
    async run(store, tag) {
      await store.insertTag(row(tag, 1n, 5));
      const steps = Array.from({ length: 50 }, (_, i) => 1 + (i % 7));
      const ranges = await Promise.all(steps.map((step) => store.reserve(tag, step)));
      ranges.forEach((range, i) => assert.equal(range.end - range.start, BigInt(steps[i]), 'a range of its size'));
      const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      assert.equal(sorted[0].start, 1n);
      for (let i = 1; i < sorted.length; i++) {
        assert.equal(sorted[i].start, sorted[i - 1].end, `ranges ${i - 1} and ${i} must touch: no overlap, no gap`);
      }
      const end = sorted.at(-1)!.end;
      expectRange(await store.reserve(tag, 1), end, end + 1n);
    },
  },
  {
    key: 'overflow',
    title: 'a step past 2^63-1 rejects with IdOverflowError and changes nothing; the IDs left are served exactly',
    async run(store, tag) {
      await store.insertTag(row(tag, MAX_ID - 5n, 10));
      const tooFar = await rejection(() => store.reserve(tag, 10), 'reserve past 2^63-1');
      expectOverflow(tooFar, tag, MAX_ID - 5n, 10);
      expectRange(await store.reserve(tag, 5), MAX_ID - 5n, MAX_ID);
      expectOverflow(await rejection(() => store.reserve(tag, 1), 'reserve at 2^63-1'), tag, MAX_ID, 1);
    },
  },
  {
    key: 'giveback',
    title: 'giveBack sets max_id back only while it is still the end given (compare-and-set)',
    async run(store, tag) {
      await store.insertTag(row(tag, 1n, 100));
      const mine = await store.reserve(tag, 100);
      assert.equal(await store.giveBack(tag, 41n, mine.end), true, 'max_id was still the end: given back');
      expectRange(await store.reserve(tag, 10), 41n, 51n);
      const newest = await store.reserve(tag, 100); // [51, 151)
      await store.reserve(tag, 10); // another node reserves [151, 161) before the give-back
      assert.equal(await store.giveBack(tag, 60n, newest.end), false, 'another reservation came in between');
      expectRange(await store.reserve(tag, 1), 161n, 162n);
      assert.equal(await store.giveBack(`${tag}_none`, 1n, 2n), false, 'a tag with no row');
    },
  },
  {
    key: 'create',
    title: 'createTags run by 10 nodes at once creates each missing row once and never touches an existing one',
    async run(store, tag) {
      const [a, b, kept] = [`${tag}_a`, `${tag}_b`, `${tag}_kept`];
      await store.insertTag(row(kept, 500n, 7));
      const specs = [spec(a, 10), spec(b, 20), spec(kept, 99)];
      await Promise.all(Array.from({ length: 10 }, () => store.createTags(specs)));
      const mine = new Set([a, b, kept]);
      const listed = (await store.listTags()).filter((r) => mine.has(r.bizTag)).map((r) => `${r.bizTag}:${r.step}`);
      // Copied: a driver may build its array in another realm (Jest's VM), which deepEqual tells apart.
      assert.deepEqual([...listed].sort(), [`${a}:10`, `${b}:20`, `${kept}:7`]);
      expectRange(await store.reserve(a, 10), 1n, 11n);
      expectRange(await store.reserve(kept, 7), 500n, 507n);
    },
  },
  {
    key: 'insert',
    title: 'insertTag resolves false on a tag that has a row, and leaves that row as it was',
    async run(store, tag) {
      assert.equal(await store.insertTag(row(tag, 1000n, 10)), true);
      assert.equal(await store.insertTag({ bizTag: tag, maxId: 1n, step: 99, description: 'again' }), false);
      expectRow(await store.findTag(tag), tag, 10);
      expectRange(await store.reserve(tag, 10), 1000n, 1010n);
    },
  },
  {
    key: 'setstep',
    title: 'setStep changes the step of a row (max_id untouched) and resolves false for a tag with no row',
    async run(store, tag) {
      await store.insertTag(row(tag, 300n, 10));
      assert.equal(await store.setStep(tag, 25), true);
      expectRow(await store.findTag(tag), tag, 25);
      expectRange(await store.reserve(tag, 5), 300n, 305n);
      assert.equal(await store.setStep(`${tag}_none`, 25), false);
      assert.equal(await store.findTag(`${tag}_none`), undefined, 'setStep created no row');
    },
  },
  {
    key: 'unknown',
    title: 'a tag with no row: reserve rejects with UnknownBizTagError, findTag resolves undefined',
    async run(store, tag) {
      const error = await rejection(() => store.reserve(tag, 10), 'reserve of a tag with no row');
      assert.ok(error instanceof UnknownBizTagError, `expected UnknownBizTagError, got ${String(error)}`);
      assert.equal(error.bizTag, tag);
      assert.equal(await store.findTag(tag), undefined);
      assert.ok(!(await store.listTags()).some((r) => r.bizTag === tag), 'no row appeared');
    },
  },
  {
    key: 'exact',
    title: "findTag is exact: another spelling never returns this tag's row",
    async run(store, tag) {
      const own = `${tag}_Mixed`;
      await store.insertTag(row(own, 1n, 10));
      for (const other of [own.toUpperCase(), own.toLowerCase(), `${own} `]) {
        let found;
        try {
          found = await store.findTag(other);
        } catch (error) {
          // A table that compares loosely finds the row, and must say so rather than return it.
          assert.ok(error instanceof UnknownBizTagError, `findTag("${other}") threw ${String(error)}`);
          assert.equal(error.similar, own, 'UnknownBizTagError.similar names the row found instead');
          continue;
        }
        assert.equal(found, undefined, `findTag("${other}") returned the row of "${own}"`);
      }
      expectRow(await store.findTag(own), own, 10);
    },
  },
  {
    key: 'list',
    title: 'listTags returns every row with its step',
    async run(store, tag) {
      await store.insertTag(row(`${tag}_a`, 1n, 3));
      await store.insertTag(row(`${tag}_b`, 77n, 4));
      const steps = new Map((await store.listTags()).map((r) => [r.bizTag, r.step]));
      assert.equal(steps.get(`${tag}_a`), 3);
      assert.equal(steps.get(`${tag}_b`), 4);
    },
  },
  {
    key: 'aborted',
    title: 'every method called with an aborted signal rejects and changes nothing',
    async run(store, tag) {
      await store.insertTag(row(tag, 100n, 10));
      const reason = new Error('aborted by the contract');
      const controller = new AbortController();
      controller.abort(reason);
      const signal = controller.signal;
      const calls: Record<string, () => Promise<unknown>> = {
        listTags: () => store.listTags(signal),
        findTag: () => store.findTag(tag, signal),
        createTags: () => store.createTags([spec(`${tag}_created`, 10)], signal),
        reserve: () => store.reserve(tag, 10, signal),
        giveBack: () => store.giveBack(tag, 50n, 100n, signal),
        insertTag: () => store.insertTag(row(`${tag}_inserted`, 1n, 10), signal),
        setStep: () => store.setStep(tag, 99, signal),
      };
      for (const [method, call] of Object.entries(calls)) {
        const error = await rejection(call, `${method} with an aborted signal`);
        assert.ok(error === reason || error instanceof Error, `${method} rejected with ${String(error)}`);
      }
      assert.equal(await store.findTag(`${tag}_created`), undefined, 'createTags created nothing');
      assert.equal(await store.findTag(`${tag}_inserted`), undefined, 'insertTag inserted nothing');
      expectRow(await store.findTag(tag), tag, 10);
      expectRange(await store.reserve(tag, 10), 100n, 110n);
    },
  },
  {
    key: 'inflight',
    title: 'a reservation aborted in flight rejects, or lands; either way a later one never overlaps it',
    async run(store, tag) {
      await store.insertTag(row(tag, 1n, 10));
      const controller = new AbortController();
      const pending = store.reserve(tag, 10, controller.signal);
      controller.abort(new Error('deadline'));
      const outcome = await pending.then(
        (range) => ({ range }),
        (error: unknown) => ({ error }),
      );
      if ('range' in outcome) expectRange(outcome.range, 1n, 11n);
      else assert.ok(outcome.error instanceof Error, `rejected with ${String(outcome.error)}`);
      const next = await store.reserve(tag, 10);
      assert.equal(next.end - next.start, 10n);
      // A store may abandon a statement the database already ran: the aborted range is then lost, never reused.
      const allowed = 'range' in outcome ? [11n] : [1n, 11n];
      assert.ok(allowed.includes(next.start), `the next range [${next.start}, ${next.end}) overlaps or skips`);
    },
  },
];

function row(bizTag: string, maxId: bigint, step: number): NewLeafAllocRow {
  return { bizTag, maxId, step, description: null };
}

function spec(tag: string, step: number): NewTagRow {
  return { tag, step, description: `contract ${tag}` };
}

function expectRange(range: ReservedRange, start: bigint, end: bigint): void {
  assert.equal(typeof range.start, 'bigint', 'start is a bigint');
  assert.equal(typeof range.end, 'bigint', 'end is a bigint');
  assert.deepEqual({ start: range.start, end: range.end }, { start, end });
}

function expectRow(found: { bizTag: string; step: number } | undefined, bizTag: string, step: number): void {
  assert.ok(found !== undefined, `findTag("${bizTag}") found no row`);
  assert.deepEqual({ bizTag: found.bizTag, step: found.step }, { bizTag, step });
}

function expectOverflow(error: unknown, bizTag: string, maxId: bigint, step: number): void {
  assert.ok(error instanceof IdOverflowError, `expected IdOverflowError, got ${String(error)}`);
  assert.deepEqual({ bizTag: error.bizTag, maxId: error.maxId, step: error.step }, { bizTag, maxId, step });
}

/** The error `call` fails with, thrown or rejected; fails the case when it succeeds. */
async function rejection(call: () => Promise<unknown>, what: string): Promise<unknown> {
  let value: unknown;
  try {
    value = await call();
  } catch (error) {
    return error;
  }
  assert.fail(`${what} should have been refused, but resolved to ${inspect(value)}`);
}
