import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { LeafUnavailableError } from '../errors/leaf-unavailable.error.js';
import { resolveLeafOptions } from '../leaf.options.js';
import { InMemoryLeafStore } from '../testing/in-memory-leaf.store.js';
import { SegmentBuffer } from './segment-buffer.js';

/**
 * Deadlines, retries and durations run on the monotonic clock: the wall clock stepping an hour either way (NTP, a VM
 * resumed, an operator) changes nothing. Jest's fake timers move `Date` alone with `setSystemTime`, and both clocks
 * with `advanceTimersByTime`, which is exactly a wall-clock step next to real elapsed time.
 */
const HOUR = 3_600_000;
const silent = { log() {}, error() {}, warn() {} };

function setup() {
  const store = new InMemoryLeafStore({ t: { step: 10 } });
  store.hold();
  const options = resolveLeafOptions({ bizTags: ['t'], step: 10, waitTimeoutMs: 1000, retryMinDelayMs: 100 });
  const buffer = new SegmentBuffer('t', 10, true, { store, options, logger: silent, report: () => undefined });
  return { store, buffer };
}

function call(buffer: SegmentBuffer): Promise<bigint> {
  return new Promise((resolve, reject) => buffer.requestOne(resolve, reject));
}

/** The outcome of a call and when it came, in ms of fake time since `from`. */
function outcome(promise: Promise<bigint>, from: number) {
  const seen: { value?: bigint; error?: unknown; atMs?: number } = {};
  promise.then(
    (value) => Object.assign(seen, { value, atMs: performance.now() - from }),
    (error: unknown) => Object.assign(seen, { error, atMs: performance.now() - from }),
  );
  return seen;
}

describe('SegmentBuffer and a wall clock that jumps', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('fails every waiting caller at its own deadline when the wall clock steps back an hour', async () => {
    const { store, buffer } = setup();
    const start = performance.now();
    const first = outcome(call(buffer), start);
    await jest.advanceTimersByTimeAsync(300);
    const second = outcome(call(buffer), start);
    await jest.advanceTimersByTimeAsync(300);
    const third = outcome(call(buffer), start);
    store.failNext(new Error('connection lost'));
    jest.setSystemTime(Date.now() - HOUR);
    await jest.advanceTimersByTimeAsync(2000);
    for (const [seen, deadline] of [
      [first, 1000],
      [second, 1300],
      [third, 1600],
    ] as const) {
      expect(seen.error).toBeInstanceOf(LeafUnavailableError);
      expect(seen.atMs).toBeGreaterThanOrEqual(deadline);
      expect(seen.atMs).toBeLessThan(deadline + 150);
    }
  });

  it('retries a failed reservation on schedule after the wall clock steps back an hour', async () => {
    const { store, buffer } = setup();
    const pending = call(buffer);
    await jest.advanceTimersByTimeAsync(0);
    store.failNext(new Error('connection lost'));
    await jest.advanceTimersByTimeAsync(0);
    jest.setSystemTime(Date.now() - HOUR);
    await jest.advanceTimersByTimeAsync(150);
    buffer.tick(performance.now()); // the 100 ms backoff is over, whatever the wall clock says
    expect(store.held).toHaveLength(1);
    store.releaseNext();
    await expect(pending).resolves.toBe(1n);
  });

  it('keeps a caller waiting to its deadline, not less, when the wall clock steps forward an hour', async () => {
    const { store, buffer } = setup();
    const start = performance.now();
    const seen = outcome(call(buffer), start);
    await jest.advanceTimersByTimeAsync(0);
    jest.setSystemTime(Date.now() + HOUR);
    await jest.advanceTimersByTimeAsync(500);
    expect(seen).toEqual({});
    store.releaseNext();
    await jest.advanceTimersByTimeAsync(0);
    expect(seen.value).toBe(1n);
  });
});
