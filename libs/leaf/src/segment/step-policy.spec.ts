import { describe, expect, it } from '@jest/globals';
import { nextDynamicStep } from './step-policy.js';

const base = { base: 100, segmentDurationMs: 1000, maxStep: 1600, ratePerMs: 0, horizonMs: 100, runwayIds: 0 };

describe('nextDynamicStep', () => {
  it('doubles when the last segment lasted less than the target', () => {
    expect(nextDynamicStep({ ...base, current: 100, sinceLastReservationMs: 999 })).toBe(200);
  });

  it('never passes maxStep', () => {
    expect(nextDynamicStep({ ...base, current: 1000, sinceLastReservationMs: 10 })).toBe(1600);
  });

  it('keeps the step between one and two target durations', () => {
    expect(nextDynamicStep({ ...base, current: 400, sinceLastReservationMs: 1000 })).toBe(400);
    expect(nextDynamicStep({ ...base, current: 400, sinceLastReservationMs: 2000 })).toBe(400);
  });

  it('halves when the last segment lasted over twice the target, never below the base step', () => {
    expect(nextDynamicStep({ ...base, current: 400, sinceLastReservationMs: 2001 })).toBe(200);
    expect(nextDynamicStep({ ...base, current: 150, sinceLastReservationMs: 5000 })).toBe(100);
    expect(nextDynamicStep({ ...base, current: 100, sinceLastReservationMs: 5000 })).toBe(100);
  });

  it('grows at once to what the rate needs over two prefetch horizons, within maxStep', () => {
    // 5 IDs/ms with a 100 ms horizon needs 1000 per segment: doubling 100 would take four reservations.
    expect(nextDynamicStep({ ...base, current: 100, sinceLastReservationMs: 50, ratePerMs: 5 })).toBe(1000);
    expect(nextDynamicStep({ ...base, current: 100, sinceLastReservationMs: 50, ratePerMs: 50 })).toBe(1600);
    // A slow load leaves Leaf's rule alone.
    expect(nextDynamicStep({ ...base, current: 400, sinceLastReservationMs: 5000, ratePerMs: 0.01 })).toBe(200);
  });

  it('makes a segment cover the runway on its own, within maxStep', () => {
    expect(nextDynamicStep({ ...base, current: 100, sinceLastReservationMs: 5000, runwayIds: 700 })).toBe(700);
    expect(nextDynamicStep({ ...base, current: 100, sinceLastReservationMs: 5000, runwayIds: 9000 })).toBe(1600);
  });
});
