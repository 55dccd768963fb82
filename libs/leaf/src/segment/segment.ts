/** A reserved block of IDs `[start, end)` owned by this process. */
export interface Segment {
  readonly start: bigint;
  readonly end: bigint;
  /** Its size, `end - start`: at most maxStep, so a plain number. */
  readonly step: number;
  /** Issuing the ID at this offset from `start` reserves the next segment in the background. */
  readonly prefetchOffset: number;
}

export function createSegment(start: bigint, end: bigint, threshold: number): Segment {
  const step = Number(end - start);
  // ceil keeps at least one ID of warning for tiny segments, so the prefetch fires before the last ID.
  const prefetchOffset = step - Math.min(step, Math.ceil(step * threshold));
  return { start, end, step, prefetchOffset };
}

/** A `prefetchOffset` no segment reaches: the prefetch has been started already. */
export const PREFETCH_STARTED = 2 ** 31;
