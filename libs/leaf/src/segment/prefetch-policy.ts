import type { SegmentPair } from './segment-pair.js';

/**
 * How long before running dry the next reservation must start: a few reservation latencies, plus the scheduler
 * tick that notices.
 */
export function prefetchHorizonMs(lastLatencyMs: number | null, checkIntervalMs: number): number {
  return 4 * Math.max(lastLatencyMs ?? 1, 1) + 2 * checkIntervalMs;
}

/**
 * Whether the scheduler should reserve the next segment now, with no standby and none in flight: the threshold was
 * passed but that reservation failed, at the current rate the segment would be gone within the horizon, or what is
 * left no longer covers the runway.
 * (The threshold itself fires from the hot path, through `SegmentPair`'s `onLow`.)
 */
export function prefetchDue(pair: SegmentPair, ratePerMs: number, horizonMs: number, runwayIds: number): boolean {
  if (pair.current === null || pair.next !== null) return false;
  return pair.pastThreshold || pair.remaining < Math.max(ratePerMs * horizonMs, runwayIds);
}
