import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { PEAK_HALF_LIFE_MS } from './runway.js';
import { TagStats } from './tag-stats.js';

describe('TagStats', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('counts reservations by trigger and keeps the newest latency and time', () => {
    jest.useFakeTimers({ now: new Date('2026-12-01T08:00:00Z') });
    const stats = new TagStats();
    stats.reserved('startup', 3, 100, false);
    stats.reserved('prefetch', 5, 250.5, false);
    stats.reserved('prefetch', 2, 400, false);
    stats.reserved('on-demand', 7, 900, false);
    expect(stats.reservations).toBe(4);
    expect(stats.byTrigger).toEqual({ startup: 1, prefetch: 2, 'on-demand': 1 });
    expect([stats.lastLatencyMs, stats.plannedLatencyMs]).toEqual([7, 7]);
    expect(stats.lastReservationAt).toBe(900); // the monotonic time it was told
    expect(stats.lastReservationWallAt).toBe(Date.parse('2026-12-01T08:00:00Z')); // the wall clock, for display
  });

  it('plans for the latency before an outage, not for the reservation that ended it', () => {
    const stats = new TagStats();
    stats.reserved('on-demand', 4000, 0, true); // the first of all: nothing better to plan for
    expect(stats.plannedLatencyMs).toBe(4000);
    stats.reserved('prefetch', 2, 10, false);
    stats.reserved('on-demand', 25_000, 30_000, true); // waited out a 25 s row lock
    expect([stats.lastLatencyMs, stats.plannedLatencyMs]).toEqual([25_000, 2]);
    stats.reserved('prefetch', 3, 30_100, false);
    expect(stats.plannedLatencyMs).toBe(3);
  });

  it('counts errors and keeps the newest, with the wall-clock time it came', () => {
    jest.useFakeTimers({ now: 5000 });
    const stats = new TagStats();
    expect(stats.lastFailure).toBeNull();
    const first = new Error('connection lost');
    const second = new Error('timeout');
    stats.failed(first);
    jest.setSystemTime(6000);
    stats.failed(second);
    expect(stats.errors).toBe(2);
    expect(stats.lastFailure).toEqual({ error: second, at: 6000 });
  });

  it('measures the rate between two ticks, and keeps it while the clock has not moved', () => {
    const stats = new TagStats();
    stats.sample(0, 1000);
    expect(stats.ratePerMs).toBe(0); // one tick is no interval
    stats.sample(500, 1100);
    expect(stats.ratePerMs).toBe(5);
    stats.sample(800, 1100); // the same instant: no division by zero, the rate stands
    expect(stats.ratePerMs).toBe(5);
    stats.sample(900, 1200); // from the last sample, 800 at 1100
    expect(stats.ratePerMs).toBe(1);
    stats.sample(900, 1300);
    expect(stats.ratePerMs).toBe(0);
  });

  it('dates idleness from the last tick that saw an ID issued', () => {
    const stats = new TagStats();
    stats.sample(0, 1000);
    expect(stats.idleSince).toBe(1000); // from the first tick, even with nothing issued
    stats.sample(0, 1100);
    expect(stats.idleSince).toBe(1000);
    stats.sample(10, 1200);
    expect(stats.idleSince).toBe(1200);
    stats.sample(10, 1300);
    stats.sample(10, 9000);
    expect(stats.idleSince).toBe(1200);
  });

  it('leaves a backlog served after an outage out of the rate and the peak', () => {
    const stats = new TagStats();
    stats.sample(100, 0);
    stats.servedBacklog(5000); // 5,000 calls kept waiting by an outage, served at once
    stats.sample(5200, 1000);
    expect(stats.ratePerMs).toBeCloseTo(0.1, 12); // the 100 issued besides, over 1 s
    expect(stats.peak.perMs(1000)).toBeCloseTo(0.1, 12);
  });

  it('feeds the peak, which decays with a half-life of five minutes', () => {
    const stats = new TagStats();
    expect(PEAK_HALF_LIFE_MS).toBe(5 * 60_000);
    stats.sample(0, 0);
    stats.sample(3000, 1000); // one window at 3 IDs/ms
    expect(stats.peak.perMs(1000)).toBe(3);
    expect(stats.peak.perMs(1000 + PEAK_HALF_LIFE_MS)).toBe(1.5);
    expect(stats.peak.perMs(1000 + 2 * PEAK_HALF_LIFE_MS)).toBe(0.75);
    for (let t = 2000; t <= 60_000; t += 1000) stats.sample(3000, t); // a quiet minute
    expect(stats.ratePerMs).toBe(0);
    expect(stats.peak.perMs(60_000) / 3).toBeCloseTo(0.5 ** (59_000 / PEAK_HALF_LIFE_MS), 12);
  });
});
