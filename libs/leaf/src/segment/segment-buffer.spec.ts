import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafUnavailableError } from '../errors/leaf-unavailable.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import { resolveLeafOptions, type LeafModuleOptions } from '../leaf.options.js';
import { InMemoryLeafStore } from '../testing/in-memory-leaf.store.js';
import { SegmentBuffer } from './segment-buffer.js';
import type { ReservationEvent } from './segment.types.js';

const silent = { log() {}, error() {}, warn() {} };

function setup(options: Partial<LeafModuleOptions> = {}, step = 10) {
  const store = new InMemoryLeafStore({ t: { step } });
  store.hold(); // every reservation waits for the test to release or fail it
  const events: ReservationEvent[] = [];
  const resolved = resolveLeafOptions({ bizTags: ['t'], step, waitTimeoutMs: 1000, ...options });
  const buffer = new SegmentBuffer('t', step, true, {
    store,
    options: resolved,
    logger: silent,
    report: (event) => events.push(event),
  });
  return { store, buffer, events };
}

/** `requestOne` / `requestMany` as a promise, the way IdGenerator calls them. */
function wait(buffer: SegmentBuffer, remaining: number, ids: bigint[] | null): Promise<bigint & bigint[]> {
  return new Promise((resolve, reject) =>
    ids === null
      ? buffer.requestOne(resolve as (id: bigint) => void, reject)
      : buffer.requestMany(remaining, ids, resolve as (ids: bigint[]) => void, reject),
  );
}

/** Lets promise callbacks run (fake timers do not). */
const settle = () => jest.advanceTimersByTimeAsync(0);

function takeMany(buffer: SegmentBuffer, n: number): bigint[] {
  const ids: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const id = buffer.pair.takeOne();
    if (id === undefined) break;
    ids.push(id);
  }
  return ids;
}

describe('SegmentBuffer', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('serves its range in order, prefetches at the threshold and switches without waiting', async () => {
    const { store, buffer, events } = setup({ threshold: 0.2 });
    const startup = buffer.reserve('startup');
    store.releaseNext();
    await startup;
    expect(takeMany(buffer, 8)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
    expect(store.held).toHaveLength(0);
    expect(buffer.pair.takeOne()).toBe(9n); // 2 of 10 left: the next segment is reserved in the background
    expect(store.held).toHaveLength(1);
    store.releaseNext();
    await settle();
    expect(buffer.snapshot().nextReady).toBe(true);
    expect(takeMany(buffer, 3)).toEqual([10n, 11n, 12n]); // 11 comes from the standby segment
    expect(events.map((e) => e.trigger)).toEqual(['startup', 'prefetch']);
    expect(buffer.snapshot()).toMatchObject({ idsIssued: 12, reservations: 2, waits: 0 });
  });

  it('makes one reservation for 10,000 callers waiting on an empty buffer, and serves them in order', async () => {
    const { store, buffer } = setup();
    const calls = Array.from({ length: 10_000 }, () => wait(buffer, 1, null));
    await settle();
    expect(store.reserveCalls).toBe(1);
    expect(store.releaseNext().step).toBe(10_000); // sized for the demand, not for the step of 10
    const ids = await Promise.all(calls);
    expect(ids[0]).toBe(1n);
    expect(ids[9_999]).toBe(10_000n);
    expect(ids.every((id, i) => i === 0 || id === ids[i - 1] + 1n)).toBe(true);
    expect(store.reserveCalls).toBe(2); // the prefetch that follows, not one per caller
  });

  it('fails a waiting caller after waitTimeoutMs and issues it nothing', async () => {
    const { store, buffer } = setup({ waitTimeoutMs: 500 });
    const call = wait(buffer, 1, null);
    await settle();
    const failed = expect(call).rejects.toMatchObject({ reason: 'timeout', bizTag: 't' });
    await jest.advanceTimersByTimeAsync(499);
    expect(buffer.snapshot().waiting).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await failed;
    expect(buffer.snapshot().waiting).toBe(0);
    store.releaseNext();
    await settle();
    expect(buffer.pair.takeOne()).toBe(1n); // the range is intact for the next caller
  });

  it('keeps callers waiting through a transient failure and serves them after the retry', async () => {
    const { store, buffer } = setup({ retryMinDelayMs: 100 });
    const call = wait(buffer, 1, null);
    await settle();
    store.failNext(new Error('connection lost'));
    await settle();
    expect(buffer.snapshot()).toMatchObject({ consecutiveFailures: 1, lastReservationOk: false, waiting: 1 });
    expect(buffer.snapshot().lastError?.message).toBe('connection lost');
    buffer.tick(performance.now()); // too early: the backoff holds
    expect(store.held).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(100);
    buffer.tick(performance.now());
    expect(store.held).toHaveLength(1);
    store.releaseNext();
    await expect(call).resolves.toBe(1n);
    expect(buffer.snapshot()).toMatchObject({ consecutiveFailures: 0, lastReservationOk: true });
  });

  it('fails waiting callers at once on an error a retry cannot cure, then fails fast until the retry delay', async () => {
    const { store, buffer } = setup({ retryMaxDelayMs: 1000 });
    const call = wait(buffer, 1, null);
    await settle();
    store.failNext(new UnknownBizTagError('t'));
    await expect(call).rejects.toBeInstanceOf(UnknownBizTagError);
    await expect(wait(buffer, 1, null)).rejects.toBeInstanceOf(UnknownBizTagError);
    expect(store.reserveCalls).toBe(1);
    await jest.advanceTimersByTimeAsync(1000);
    const retry = wait(buffer, 1, null);
    await settle();
    expect(store.reserveCalls).toBe(2);
    store.failNext(new IdOverflowError('t', 9_223_372_036_854_775_000n, 10));
    await expect(retry).rejects.toBeInstanceOf(IdOverflowError);
  });

  it('refuses callers beyond maxWaiters instead of queueing without bound', async () => {
    const { buffer } = setup({ maxWaiters: 3 });
    const waiting = [wait(buffer, 1, null), wait(buffer, 1, null), wait(buffer, 1, null)];
    await expect(wait(buffer, 1, null)).rejects.toMatchObject({ reason: 'overloaded' });
    void buffer.close();
    await Promise.allSettled(waiting);
  });

  it('on close fails the waiting callers, refuses new ones and waits for the reservation in flight', async () => {
    const { store, buffer } = setup();
    const call = wait(buffer, 1, null);
    await settle();
    let closed = false;
    const closing = buffer.close().then(() => (closed = true));
    await expect(call).rejects.toMatchObject({ reason: 'shutting-down' });
    await expect(wait(buffer, 1, null)).rejects.toBeInstanceOf(LeafUnavailableError);
    await settle();
    expect(closed).toBe(false);
    store.releaseNext();
    await closing;
  });

  it('abandons a reservation that outlives reservationTimeoutMs and never uses its range', async () => {
    const { store, buffer } = setup({ reservationTimeoutMs: 200, retryMinDelayMs: 10, waitTimeoutMs: 5000 });
    store.hold({ ignoreAbort: true }); // the database runs the UPDATE although the generator stopped waiting
    const call = wait(buffer, 1, null);
    await jest.advanceTimersByTimeAsync(200);
    expect(buffer.snapshot().lastError?.message).toMatch(/reservationTimeoutMs/);
    store.releaseNext(); // the stalled statement lands after all: [1, 11) is taken but abandoned
    await jest.advanceTimersByTimeAsync(10);
    buffer.tick(performance.now());
    store.releaseNext();
    await expect(call).resolves.toBe(11n);
  });

  it('fills a batch across segments, serving the rest from the next one', async () => {
    const { store, buffer } = setup({ dynamicStep: false });
    const startup = buffer.reserve('startup');
    store.releaseNext();
    await startup;
    const ids = new Array<bigint>(25);
    const filled = buffer.pair.takeInto(ids, 0, 25);
    expect(filled).toBe(10);
    const batch = wait(buffer, 25 - filled, ids);
    expect(store.releaseNext().step).toBe(10); // the prefetch started at the threshold: 10 of the 15 owed
    await settle();
    expect(store.releaseNext().step).toBe(10); // the other 5, on demand
    await expect(batch).resolves.toEqual(Array.from({ length: 25 }, (_, i) => BigInt(i + 1)));
  });

  it('sizes an on-demand reservation for a waiting batch larger than the step, up to maxStep', async () => {
    const { store, buffer } = setup({ dynamicStep: false, maxStep: 20 });
    const batch = wait(buffer, 25, new Array<bigint>(25));
    await settle();
    expect(store.releaseNext().step).toBe(20);
    await settle();
    expect(store.releaseNext().step).toBe(10);
    expect((await batch).at(-1)).toBe(25n);
  });

  it('starts the next reservation early when the current rate would drain the segment within a few latencies', async () => {
    const { store, buffer } = setup({ threshold: 0.01, checkIntervalMs: 100 }, 1000);
    const startup = buffer.reserve('startup');
    store.releaseNext();
    await startup;
    buffer.tick(performance.now());
    takeMany(buffer, 600); // 600 IDs in 100 ms; 400 left would last ~67 ms < the horizon of ~204 ms
    await jest.advanceTimersByTimeAsync(100);
    buffer.tick(performance.now());
    expect(store.held).toHaveLength(1);
  });

  it('grows the step under load and shrinks it after a quiet spell, not below the base step', async () => {
    const { store, buffer } = setup({ segmentDurationMs: 1000, threshold: 1 });
    const steps: number[] = [];
    const reserve = async () => {
      const done = buffer.reserve('prefetch');
      steps.push(store.releaseNext().step);
      await done;
    };
    await reserve(); // first: the base step
    await reserve(); // at once: segments last less than the target, so double
    await reserve();
    await jest.advanceTimersByTimeAsync(2001);
    await reserve(); // after over twice the target: halve
    await jest.advanceTimersByTimeAsync(5000);
    await reserve();
    await jest.advanceTimersByTimeAsync(5000);
    await reserve();
    expect(steps).toEqual([10, 20, 40, 20, 10, 10]);
  });
});
