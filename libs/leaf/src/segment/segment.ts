/** A reserved block of IDs `[start, end)` owned by this process. */
export interface Segment {
  readonly start: bigint;
  readonly end: bigint;
  readonly step: number;
  /** The position from which the next segment is reserved in the background. */
  readonly prefetchAt: bigint;
  /** When it was reserved (ms since the epoch). */
  readonly reservedAt: number;
}

/** A position past every ID: the hot path's "nothing to do" marker for the prefetch check. */
export const NEVER = 1n << 64n;

export function createSegment(start: bigint, end: bigint, threshold: number, reservedAt: number): Segment {
  const step = Number(end - start);
  // ceil keeps at least one ID of warning for tiny segments, so the prefetch fires before the last ID.
  const reserve = BigInt(Math.min(step, Math.ceil(step * threshold)));
  return { start, end, step, prefetchAt: end - reserve, reservedAt };
}
