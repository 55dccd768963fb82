import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { SegmentPair } from './segment-pair.js';
import { createSegment } from './segment.js';

/** A pair whose `onLow` calls are counted; `segments` are added in order, `[start, end)` each, threshold 0.2. */
function pairOf(...segments: Array<[number, number]>) {
  const low = { calls: 0 };
  const pair = new SegmentPair(() => low.calls++);
  for (const [start, end] of segments) pair.add(createSegment(BigInt(start), BigInt(end), 0.2));
  return { pair, low };
}

function take(pair: SegmentPair, n: number): Array<bigint | undefined> {
  return Array.from({ length: n }, () => pair.takeOne());
}

describe('SegmentPair', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('holds nothing before the first segment', () => {
    const { pair, low } = pairOf();
    expect(pair.takeOne()).toBeUndefined();
    expect(pair.takeInto(new Array<bigint>(3), 0, 3)).toBe(0);
    expect([pair.position, pair.remaining, pair.available, pair.issued]).toEqual([null, 0, 0, 0]);
    expect(pair.pastThreshold).toBe(false);
    expect(pair.unusedTail()).toBeUndefined();
    expect(low.calls).toBe(0);
  });

  it('serves a segment in order, then switches to the standby one, wherever it starts', () => {
    const { pair } = pairOf([1, 4], [100, 103]);
    expect(pair.next).not.toBeNull();
    expect(take(pair, 7)).toEqual([1n, 2n, 3n, 100n, 101n, 102n, undefined]);
    expect(pair.current).toMatchObject({ start: 100n, end: 103n });
    expect(pair.next).toBeNull();
  });

  it('stays empty when exhausted without a standby, and serves a segment added then at once', () => {
    const { pair } = pairOf([1, 3]);
    expect(take(pair, 4)).toEqual([1n, 2n, undefined, undefined]);
    expect(pair.issued).toBe(2);
    pair.add(createSegment(50n, 53n, 0.2));
    expect(pair.next).toBeNull(); // installed, not kept as a standby behind an empty segment
    expect(pair.position).toBe(50n);
    expect(take(pair, 3)).toEqual([50n, 51n, 52n]);
  });

  it('calls onLow once per segment, when the ID at its threshold is issued', () => {
    const { pair, low } = pairOf([1, 11]); // 2 of 10 left after the 8th ID: the 9th calls it
    take(pair, 8);
    expect([low.calls, pair.pastThreshold]).toEqual([0, false]);
    expect(pair.takeOne()).toBe(9n);
    expect([low.calls, pair.pastThreshold]).toEqual([1, true]);
    take(pair, 1);
    expect(low.calls).toBe(1);
    pair.add(createSegment(11n, 21n, 0.2));
    take(pair, 8);
    expect(low.calls).toBe(1);
    take(pair, 1);
    expect(low.calls).toBe(2);
  });

  it('takeInto writes from the given index, across the switch, and returns how many it wrote', () => {
    const { pair } = pairOf([1, 4], [100, 105]);
    const out = new Array<bigint>(8).fill(0n);
    expect(pair.takeInto(out, 2, 6)).toBe(6);
    expect(out).toEqual([0n, 0n, 1n, 2n, 3n, 100n, 101n, 102n]);
    expect([pair.remaining, pair.available, pair.position]).toEqual([2, 2, 103n]);
  });

  it('takeInto stops where memory ends and writes nothing past it', () => {
    const { pair } = pairOf([1, 4], [10, 12]);
    const out = new Array<bigint>(8).fill(0n);
    expect(pair.takeInto(out, 0, 8)).toBe(5);
    expect(out).toEqual([1n, 2n, 3n, 10n, 11n, 0n, 0n, 0n]);
    expect(pair.takeInto(out, 5, 3)).toBe(0);
    expect(pair.takeOne()).toBeUndefined();
    expect(pair.issued).toBe(5);
  });

  it('takeInto calls onLow only once the batch took the ID at the threshold', () => {
    const { pair, low } = pairOf([1, 11]);
    pair.takeInto(new Array<bigint>(8), 0, 8); // ends just before the 9th ID
    expect(low.calls).toBe(0);
    pair.takeInto(new Array<bigint>(1), 0, 1);
    expect(low.calls).toBe(1);
    const other = pairOf([1, 11], [11, 21]);
    other.pair.takeInto(new Array<bigint>(20), 0, 20); // one batch through both thresholds
    expect(other.low.calls).toBe(2);
  });

  it('counts the IDs in each segment and in both', () => {
    const { pair } = pairOf([1, 11], [11, 31]);
    take(pair, 3);
    expect([pair.remaining, pair.available, pair.issued, pair.position]).toEqual([7, 27, 3, 4n]);
    take(pair, 9); // 1 … 10, then 11 and 12 from the standby
    expect([pair.remaining, pair.available, pair.issued, pair.position]).toEqual([18, 18, 12, 13n]);
  });

  it('measures the pace of the current segment from when it was installed, or restarted', () => {
    const now = jest.spyOn(performance, 'now').mockReturnValue(1000);
    const { pair } = pairOf([1, 11], [11, 31]);
    take(pair, 6);
    expect(pair.segmentRate(1003)).toBe(2);
    expect(pair.segmentRate(1000)).toBe(0); // no time elapsed: no rate, not Infinity
    expect(pair.segmentRate(999)).toBe(0); // nor a negative one
    pair.restartPace(1010); // what was issued so far is left out
    take(pair, 2);
    expect(pair.segmentRate(1012)).toBe(1);
    now.mockReturnValue(2000);
    take(pair, 6); // 9, 10, then the switch at 2000 and 11 … 14
    expect(pair.current?.start).toBe(11n);
    expect(pair.segmentRate(2002)).toBe(2);
  });

  it('gives as unused tail the rest of the current segment alone, while no standby is held', () => {
    const { pair } = pairOf([1, 11]);
    take(pair, 3);
    expect(pair.unusedTail()).toEqual({ firstUnused: 4n, end: 11n });
    take(pair, 7);
    expect(pair.unusedTail()).toBeUndefined(); // used up: nothing to give back
  });

  it('joins the rest of the current segment to the standby when they touch', () => {
    const { pair } = pairOf([1, 11], [11, 21]);
    take(pair, 3);
    expect(pair.unusedTail()).toEqual({ firstUnused: 4n, end: 21n });
    take(pair, 7); // current used up, the switch not made yet
    expect(pair.unusedTail()).toEqual({ firstUnused: 11n, end: 21n });
  });

  it('gives only the standby when another node reserved between the two segments', () => {
    const { pair } = pairOf([1, 11], [21, 31]);
    take(pair, 3);
    expect(pair.unusedTail()).toEqual({ firstUnused: 21n, end: 31n });
  });

  it('serves nothing more once cleared, and keeps the count of what it issued', () => {
    const { pair } = pairOf([1, 11], [11, 21]);
    take(pair, 12);
    pair.clear();
    expect(pair.takeOne()).toBeUndefined();
    expect(pair.takeInto(new Array<bigint>(2), 0, 2)).toBe(0);
    expect([pair.current, pair.next, pair.position, pair.available, pair.issued]).toEqual([null, null, null, 0, 12]);
    expect(pair.unusedTail()).toBeUndefined();
    pair.add(createSegment(40n, 50n, 0.2));
    expect(take(pair, 2)).toEqual([40n, 41n]);
    expect(pair.issued).toBe(14);
  });

  it('hands out every ID of its range near 2^63-1 exactly, without losing precision', () => {
    const top = 2n ** 63n - 1n;
    const { pair } = pairOf();
    pair.add(createSegment(top - 3n, top, 0.2));
    expect(take(pair, 4)).toEqual([top - 3n, top - 2n, top - 1n, undefined]);
  });
});
