import { describe, expect, it } from '@jest/globals';
import { PEAK_HALF_LIFE_MS, PEAK_WINDOW_MS, PeakRate, runwayHeldMs, runwayTargetIds } from './runway.js';

/** A peak fed one window of `ids` IDs over `[at - span, at)`. */
function peakOf(ids: number, span = PEAK_WINDOW_MS, at = span): PeakRate {
  const peak = new PeakRate();
  peak.sample(0, at - span);
  peak.sample(ids, at);
  return peak;
}

describe('PeakRate', () => {
  it('knows no rate before a whole window was seen', () => {
    const peak = new PeakRate();
    expect(peak.perMs(0)).toBe(0);
    peak.sample(0, 0);
    expect(peak.perMs(0)).toBe(0); // the first sample only opens the window
    peak.sample(900, 999);
    expect(peak.perMs(999)).toBe(0); // 999 ms is no window yet
    peak.sample(1000, 1000);
    expect(peak.perMs(1000)).toBe(1);
  });

  it('measures a window over its real span when the tick that closes it comes late', () => {
    expect(peakOf(3000, 1500).perMs(1500)).toBe(2);
  });

  it('counts only the IDs issued within the window, not the total before it', () => {
    const peak = new PeakRate();
    peak.sample(50_000, 0);
    peak.sample(52_000, 1000);
    expect(peak.perMs(1000)).toBe(2);
  });

  it('halves every half-life, keeping 87% after a quiet minute and nothing worth a segment after a day', () => {
    const peak = peakOf(4000); // 4 IDs/ms at 1000
    expect(peak.perMs(1000 + PEAK_HALF_LIFE_MS)).toBe(2);
    expect(peak.perMs(1000 + 2 * PEAK_HALF_LIFE_MS)).toBe(1);
    expect(peak.perMs(1000 + 60_000) / 4).toBeCloseTo(0.87, 2);
    expect(peak.perMs(1000 + 24 * 3_600_000) * 60_000).toBeLessThan(1e-70);
  });

  it('keeps the decaying peak through a slower window', () => {
    const peak = peakOf(4000);
    peak.sample(4100, 2000); // 0.1 IDs/ms
    expect(peak.perMs(2000)).toBeCloseTo(4 * 0.5 ** (1000 / PEAK_HALF_LIFE_MS), 12);
    expect(peak.perMs(2000)).toBeGreaterThan(3.99);
  });

  it('takes a faster window as the new peak at once', () => {
    const peak = peakOf(1000);
    peak.sample(11_000, 2000);
    expect(peak.perMs(2000)).toBe(10);
    expect(peak.perMs(2000 + PEAK_HALF_LIFE_MS)).toBe(5);
  });

  it('compares a window with the peak as decayed by then, not as it was', () => {
    const peak = peakOf(4000); // 4 at 1000, 1 two half-lives later
    const later = 1000 + 2 * PEAK_HALF_LIFE_MS;
    peak.sample(4000, later - PEAK_WINDOW_MS); // a window of silence opens...
    peak.sample(5200, later); // ...and closes at 1.2 IDs/ms: below the old peak, above the decayed one
    expect(peak.perMs(later)).toBeCloseTo(1.2, 12);
    expect(peak.perMs(later + PEAK_HALF_LIFE_MS)).toBeCloseTo(0.6, 12);
  });
});

describe('runwayTargetIds', () => {
  it('is nothing while no rate is known, or with no runway', () => {
    expect(runwayTargetIds(0, 60_000, 1_000_000)).toBe(0);
    expect(runwayTargetIds(5, 0, 1_000_000)).toBe(0);
  });

  it('is the IDs the runway takes at the rate, rounded up so it is covered', () => {
    expect(runwayTargetIds(2, 60_000, 1_000_000)).toBe(120_000);
    expect(runwayTargetIds(0.001, 1500, 1_000_000)).toBe(2); // 1.5 IDs
    expect(runwayTargetIds(1e-9, 60_000, 1_000_000)).toBe(1); // the least rate still holds one ID
  });

  it('is capped at maxStep, what one reservation may take', () => {
    expect(runwayTargetIds(100, 60_000, 1_000_000)).toBe(1_000_000);
    expect(runwayTargetIds(1, 60_000, 60_000)).toBe(60_000);
    expect(runwayTargetIds(1, 60_000, 59_999)).toBe(59_999);
  });
});

describe('runwayHeldMs', () => {
  it('is unknown while no rate is known', () => {
    expect(runwayHeldMs(1000, 0)).toBeNull();
  });

  it('is how long the IDs held last at the rate, in whole ms', () => {
    expect(runwayHeldMs(1000, 2)).toBe(500);
    expect(runwayHeldMs(2000, 3)).toBe(666); // 666.7 rounded down: the runway held is never overstated
    expect(runwayHeldMs(0, 3)).toBe(0);
  });
});
