import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { RetryPolicy } from './retry-policy.js';

const HOUR = 3_600_000;

/** The delays of `n` transient failures in a row, each at the moment the previous delay ran out. */
function delays(policy: RetryPolicy, n: number, from = 0): number[] {
  const out: number[] = [];
  for (let i = 0, now = from; i < n; i++) {
    const delay = policy.failed(now, false);
    out.push(delay);
    now += delay;
  }
  return out;
}

describe('RetryPolicy', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('lets the first reservation start at once', () => {
    const policy = new RetryPolicy(100, 1000);
    expect(policy.mayTry(0)).toBe(true);
    expect(policy.consecutiveFailures).toBe(0);
  });

  it('doubles the delay from minDelayMs with each failure and holds it at maxDelayMs', () => {
    const policy = new RetryPolicy(100, 1000);
    expect(delays(policy, 7)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(policy.consecutiveFailures).toBe(7);
  });

  it('caps at a maximum that is no power-of-two multiple of the minimum, without overshooting it', () => {
    expect(delays(new RetryPolicy(30, 100), 4)).toEqual([30, 60, 100, 100]);
    expect(delays(new RetryPolicy(1, 1), 3)).toEqual([1, 1, 1]);
  });

  it('keeps the delay at the cap, a finite number, after thousands of failures (an outage of hours)', () => {
    const policy = new RetryPolicy(1, 600_000);
    const all = delays(policy, 5000);
    expect(all.slice(0, 3)).toEqual([1, 2, 4]);
    expect(all.at(-1)).toBe(600_000);
    expect(all.every((delay) => Number.isFinite(delay) && delay <= 600_000)).toBe(true);
    expect(policy.mayTry(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('refuses an attempt until the delay after the failure has passed, to the millisecond', () => {
    const policy = new RetryPolicy(100, 1000);
    expect(policy.failed(5000, false)).toBe(100);
    expect(policy.mayTry(5000)).toBe(false);
    expect(policy.mayTry(5099.999)).toBe(false);
    expect(policy.mayTry(5100)).toBe(true);
    expect(policy.failed(5100, false)).toBe(200);
    expect(policy.mayTry(5299)).toBe(false);
    expect(policy.mayTry(5300)).toBe(true);
  });

  it('counts from the time of the failure it is told, fractions of a millisecond included', () => {
    const policy = new RetryPolicy(100, 1000);
    policy.failed(1234.5, false);
    expect(policy.mayTry(1334.4)).toBe(false);
    expect(policy.mayTry(1334.5)).toBe(true);
  });

  it('waits the longest delay after an error retrying cannot cure, whatever the failures before', () => {
    const first = new RetryPolicy(100, 1000);
    expect(first.failed(0, true)).toBe(1000);
    expect(first.mayTry(999)).toBe(false);
    expect(first.mayTry(1000)).toBe(true);
    expect(first.consecutiveFailures).toBe(1);

    const later = new RetryPolicy(100, 1000);
    delays(later, 2);
    expect(later.failed(300, true)).toBe(1000);
    expect(later.consecutiveFailures).toBe(3);
    expect(later.mayTry(1299)).toBe(false);
    expect(later.mayTry(1300)).toBe(true);
  });

  it('starts over after a success: an attempt may start at once, and the next failure waits minDelayMs', () => {
    const policy = new RetryPolicy(100, 1000);
    delays(policy, 4); // the last one waits 800 ms, until 1500
    policy.succeeded();
    expect(policy.consecutiveFailures).toBe(0);
    expect(policy.mayTry(1500 - 700)).toBe(true); // before the old retry time
    expect(policy.failed(2000, false)).toBe(100);
    expect(policy.mayTry(2100)).toBe(true);
  });

  it('reads no clock of its own: a wall clock stepped back an hour moves no retry', () => {
    jest.useFakeTimers();
    const policy = new RetryPolicy(100, 1000);
    const now = performance.now();
    policy.failed(now, false);
    jest.setSystemTime(Date.now() - HOUR);
    expect(policy.mayTry(now + 100)).toBe(true);
    jest.setSystemTime(Date.now() + 2 * HOUR);
    expect(policy.mayTry(now + 99)).toBe(false);
  });
});
