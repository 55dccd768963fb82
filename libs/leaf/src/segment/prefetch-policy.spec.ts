import { describe, expect, it } from '@jest/globals';
import { prefetchDue, prefetchHorizonMs } from './prefetch-policy.js';
import { SegmentPair } from './segment-pair.js';
import { createSegment } from './segment.js';

/** A pair serving `[1, 1001)` with its threshold at 1% (the prefetch fires at the 991st ID), `taken` IDs issued. */
function pairAfter(taken: number): SegmentPair {
  const pair = new SegmentPair(() => undefined);
  pair.add(createSegment(1n, 1001n, 0.01));
  pair.takeInto(new Array<bigint>(taken), 0, taken);
  return pair;
}

describe('prefetchHorizonMs', () => {
  it('is four reservation latencies plus two scheduler ticks', () => {
    expect(prefetchHorizonMs(50, 100)).toBe(400);
    expect(prefetchHorizonMs(50, 10)).toBe(220);
    expect(prefetchHorizonMs(2500, 100)).toBe(10_200);
  });

  it('takes a latency of 1 ms before any is known, and for a store that answers faster', () => {
    expect(prefetchHorizonMs(null, 100)).toBe(204);
    expect(prefetchHorizonMs(0, 100)).toBe(204);
    expect(prefetchHorizonMs(0.25, 100)).toBe(204);
    expect(prefetchHorizonMs(1.5, 100)).toBe(206);
  });
});

describe('prefetchDue', () => {
  it('is never due before the first segment', () => {
    const pair = new SegmentPair(() => undefined);
    expect(prefetchDue(pair, 1000, 1000, 1_000_000)).toBe(false);
  });

  it('is never due while a standby segment is held, however fast the rate and long the runway', () => {
    const pair = pairAfter(999);
    pair.add(createSegment(1001n, 1011n, 0.01));
    expect(pair.pastThreshold).toBe(true);
    expect(prefetchDue(pair, 1000, 1000, 1_000_000)).toBe(false);
  });

  it('is due once the threshold was passed without a standby (the prefetch it started failed)', () => {
    expect(prefetchDue(pairAfter(990), 0, 204, 0)).toBe(false); // the 991st ID not issued yet
    expect(prefetchDue(pairAfter(991), 0, 204, 0)).toBe(true);
  });

  it('is due when the current rate would drain what is left within the horizon', () => {
    const pair = pairAfter(600); // 400 left
    expect(prefetchDue(pair, 1, 204, 0)).toBe(false); // 204 IDs within the horizon
    expect(prefetchDue(pair, 2, 199.5, 0)).toBe(false); // exactly 399: still covered
    expect(prefetchDue(pair, 2, 200, 0)).toBe(false); // exactly 400: covered to the last ID
    expect(prefetchDue(pair, 2, 200.5, 0)).toBe(true);
    expect(prefetchDue(pair, 6, 204, 0)).toBe(true); // 600 ms' worth at 3x the pace: ~67 ms left
  });

  it('is due when what is left no longer covers the runway, even with no rate measured', () => {
    const pair = pairAfter(600);
    expect(prefetchDue(pair, 0, 204, 400)).toBe(false);
    expect(prefetchDue(pair, 0, 204, 401)).toBe(true);
  });
});
